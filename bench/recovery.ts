import { systemClock } from "@sqs-dispatcher/core";
import { benchRegistry, startBenchPlatform, type TokenRow, tokensOf } from "./support/benchPlatform.js";
import { quantile } from "./support/stats.js";

export interface RecoveryResult {
  trials: number;
  staleAfterSec: number;
  restartIntervalSec: number;
  /** One kill: until the loop (Lambda's async retry of it) heartbeats again. */
  retriedMedianSec: number;
  /** Killed for good: until the replacement loop that restart started first heartbeats. */
  replacedMedianSec: number;
  replacedMaxSec: number;
}

/**
 * Kills the poller's execution environments (the loop dies mid-invocation, as a crashed or
 * timed-out Lambda would) and times how long until its token heartbeats again: once after a
 * single kill (Lambda's async retry brings the loop back), once after killing the loop and
 * every retry of it (restart must claim the stale token and start a replacement).
 */
export async function benchRecovery(trials: number): Promise<RecoveryResult> {
  const registry = benchRegistry([
    { queue: { name: "recovery", visibilityTimeoutSec: 30 }, function: "noop" },
  ]);
  const platform = await startBenchPlatform(registry);
  try {
    const tokens = () => tokensOf(platform, "recovery");
    const waitFor = async <T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
      const deadline = systemClock.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (systemClock.now() > deadline) throw new Error(`recovery: condition not met in ${timeoutMs} ms`);
        await systemClock.sleep(50);
      }
    };
    const retried: number[] = [];
    const replaced: number[] = [];
    for (let trial = 0; trial < trials; trial++) {
      // One kill: Lambda retries the failed async invocation, so the same loop comes back.
      const live = await waitFor(async () => (await tokens()).find((t) => t.lastUsed !== undefined), 60_000);
      const killedAt = systemClock.now();
      await platform.cloud.lambda.killEnvironments("poller");
      const back = await waitFor(
        async () => (await tokens()).find((t) => t.token === live.token && (t.lastUsed ?? 0) > killedAt),
        120_000,
      );
      retried.push(((back.lastUsed as number) - killedAt) / 1000);

      // Killed for good (the invocation and each retry die): restart claims the stale token
      // for a new loop, whose first heartbeat ends the outage.
      const doomed = (await tokens()).find((t) => t.token === live.token) as TokenRow;
      const firstKillAt = systemClock.now();
      let claimed: TokenRow | undefined;
      while (!claimed) {
        await platform.cloud.lambda.killEnvironments("poller");
        claimed = (await tokens()).find((t) => t.token === live.token && t.loopId !== doomed.loopId);
        if (systemClock.now() - firstKillAt > 120_000)
          throw new Error("recovery: restart never claimed the token");
        if (!claimed) await systemClock.sleep(50);
      }
      const claim = claimed;
      const beat = await waitFor(
        async () =>
          (await tokens()).find(
            (t) =>
              t.token === live.token &&
              t.loopId === claim.loopId &&
              (t.lastUsed ?? 0) > (claim.lastUsed ?? 0),
          ),
        120_000,
      );
      replaced.push(((beat.lastUsed as number) - firstKillAt) / 1000);
    }
    const { restart } = registry.local;
    return {
      trials,
      staleAfterSec: restart.staleAfterSec ?? registry.restart.staleAfterSec,
      restartIntervalSec: restart.intervalSec ?? registry.restart.intervalSec,
      retriedMedianSec: quantile(retried, 0.5),
      replacedMedianSec: quantile(replaced, 0.5),
      replacedMaxSec: Math.max(...replaced),
    };
  } finally {
    await platform.stop();
  }
}
