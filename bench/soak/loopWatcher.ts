import { GROUP_LEASE_TOKEN, groupLeaseKey, SHARED_MEMBER_TOKEN } from "@sqs-dispatcher/core";
import { PlatformFunction } from "@sqs-dispatcher/local";
import type { TokenRow } from "./soakProbes.js";
import { handlerTimeoutSec, local, queueNames } from "./soakRegistry.js";
import type { SoakRun } from "./soakRun.js";

/** One poller cycle of the soak's settings: a long poll, a handler timeout and the margin. */
export const cycleMs = (local.poller.waitTimeSec + handlerTimeoutSec + local.poller.marginSec) * 1000;
/** A loop notices a lost lease at its next renewal, up to renewEverySec and a cycle later. */
export const renewalGapMs = local.poller.renewEverySec * 1000 + cycleMs;
/** How long a loop may run on a token that no longer names it before it counts as a zombie. */
export const zombieAfterMs = renewalGapMs + 5_000;

/** What the loop watcher saw, and how to stop it. */
export interface LoopWatcher {
  /** Dedicated loop counts per queue, one entry per look (a quiet queue's shared loop is not one). */
  readonly loopCounts: Map<string, number[]>;
  /**
   * Loops seen running on a token (or a shared group's lease row) that no longer names them for
   * longer than {@link zombieAfterMs}.
   */
  readonly zombies: Set<string>;
  /** Stops watching; resolves once the last look is done. */
  stop(): Promise<void>;
}

/**
 * Watches the loops all along: loop counts per queue, and loops, dedicated or shared, running on
 * tokens or lease rows that no longer name them.
 */
export function startLoopWatcher({ cloud, deployment, clock, probes, urlOf }: SoakRun): LoopWatcher {
  const { tokens } = probes;
  const nameOfUrl = new Map(deployment.queues.map((q) => [q.url, q.name]));
  const strayFirstSeen = new Map<string, number>();
  const zombies = new Set<string>();
  const loopCounts = new Map<string, number[]>(queueNames.map((n) => [n, []]));
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        const rows = await tokens();
        const held = new Map(rows.map((r) => [`${r.queueUrl} ${r.token}`, r.loopId]));
        for (const name of queueNames) {
          loopCounts
            .get(name)
            ?.push(rows.filter((r) => r.queueUrl === urlOf(name) && r.token !== SHARED_MEMBER_TOKEN).length);
        }
        const now = clock.now();
        for (const running of cloud.lambda.running(PlatformFunction.Poller)) {
          const event = JSON.parse(running.payload) as Partial<TokenRow> & { group?: string };
          // A shared loop's event names its group: its lease is the group's lease row.
          const lease = event.group
            ? { queueUrl: groupLeaseKey(event.group).queueUrl, token: GROUP_LEASE_TOKEN }
            : { queueUrl: event.queueUrl, token: event.token };
          if (!lease.queueUrl || !lease.token || !event.loopId) continue;
          if (held.get(`${lease.queueUrl} ${lease.token}`) === event.loopId) continue;
          const key = `${nameOfUrl.get(lease.queueUrl) ?? lease.queueUrl}/${lease.token}@${event.loopId}`;
          const first = strayFirstSeen.get(key);
          if (first === undefined) strayFirstSeen.set(key, now);
          else if (now - first > zombieAfterMs) zombies.add(key);
        }
      } catch {
        // A throttled scan (faults) just skips one look.
      }
      await clock.sleep(500);
    }
  })();
  return {
    loopCounts,
    zombies,
    stop() {
      watching = false;
      return watcher;
    },
  };
}
