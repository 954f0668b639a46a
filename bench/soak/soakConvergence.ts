import type { Registry } from "@sqs-dispatcher/config";
import { GROUP_LEASE_TOKEN, groupLeaseKey, SHARED_MEMBER_TOKEN } from "@sqs-dispatcher/core";
import { PlatformFunction } from "@sqs-dispatcher/local";
import { renewalGapMs } from "./loopWatcher.js";
import type { TokenRow } from "./soakProbes.js";
import type { SoakRun } from "./soakRun.js";

/**
 * Once the faults stop, every route must return to its desired loops, all alive — a quiet route
 * (`minLoops: 0`) to its member row in a group whose shared loop is alive, and no dedicated loop
 * beyond `maxLoops`: waits for that and returns how long it took, seconds.
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
          const e = JSON.parse(r.payload) as TokenRow & { group?: string };
          return e.group
            ? `${groupLeaseKey(e.group).queueUrl} ${GROUP_LEASE_TOKEN} ${e.loopId}`
            : `${e.queueUrl} ${e.token} ${e.loopId}`;
        }),
      );
      const alive = (t: TokenRow | undefined) =>
        t !== undefined &&
        t.lastUsed !== undefined &&
        clock.now() - t.lastUsed <= liveWindowMs &&
        running.has(`${t.queueUrl} ${t.token} ${t.loopId}`);
      for (const route of registry.routes) {
        const mine = rows.filter((r) => r.queueUrl === urlOf(route.queue.name));
        const member = mine.find((r) => r.token === SHARED_MEMBER_TOKEN);
        const dedicated = mine.filter((r) => r.token !== SHARED_MEMBER_TOKEN);
        const quiet = route.minLoops === 0 && route.idle !== "sleep";
        if (quiet) {
          const lease = member?.group
            ? rows.find((r) => r.queueUrl === groupLeaseKey(member.group!).queueUrl)
            : undefined;
          if (!alive(lease)) return undefined;
        } else if (dedicated.length < Math.max(1, route.minLoops)) return undefined;
        if (dedicated.length > route.maxLoops) return undefined;
        if (!dedicated.every(alive)) return undefined;
      }
      return true;
    },
    120_000,
  );
  const convergenceSec = (clock.now() - faultsStoppedAt) / 1000;
  progress(`routes back to their desired loops in ${convergenceSec.toFixed(1)} s`);
  return convergenceSec;
}
