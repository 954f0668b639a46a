import type { Registry } from "@sqs-dispatcher/config";
import { PlatformFunction } from "@sqs-dispatcher/local";
import { renewalGapMs } from "./loopWatcher.js";
import type { TokenRow } from "./soakProbes.js";
import type { SoakRun } from "./soakRun.js";

/**
 * Once the faults stop, every route must return to its desired loops, all alive: waits for that and
 * returns how long it took, seconds.
 */
export async function waitForDesiredLoops(
  { cloud, clock, probes, urlOf, progress }: SoakRun,
  registry: Registry,
): Promise<number> {
  const { tokens, waitFor } = probes;
  const faultsStoppedAt = clock.now();
  // A live loop's heartbeat is at most one renewal gap old.
  const liveWindowMs = renewalGapMs + 1_000;
  await waitFor(
    "every route back to its desired loops",
    async () => {
      const rows = await tokens();
      const running = new Set(
        cloud.lambda.running(PlatformFunction.Poller).map((r) => {
          const e = JSON.parse(r.payload) as TokenRow;
          return `${e.queueUrl} ${e.token} ${e.loopId}`;
        }),
      );
      for (const route of registry.routes) {
        const mine = rows.filter((r) => r.queueUrl === urlOf(route.queue.name));
        if (mine.length < Math.max(1, route.minLoops) || mine.length > route.maxLoops) return undefined;
        for (const t of mine) {
          if (t.lastUsed === undefined || clock.now() - t.lastUsed > liveWindowMs) return undefined;
          if (!running.has(`${t.queueUrl} ${t.token} ${t.loopId}`)) return undefined;
        }
      }
      return true;
    },
    120_000,
  );
  const convergenceSec = (clock.now() - faultsStoppedAt) / 1000;
  progress(`routes back to their desired loops in ${convergenceSec.toFixed(1)} s`);
  return convergenceSec;
}
