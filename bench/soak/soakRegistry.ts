import { defineDispatcher, type Registry } from "@sqs-dispatcher/config";

// The local Lambda service counts a cold start's init against the timeout; with up to 4 batches in
// flight per loop, a dozen environments can start at once on a 2-core machine and take seconds to
// init: 2 s timed most of them out (every timeout discards its environment, so the next invoke starts
// cold again). 5 s leaves room for that.
export const handlerTimeoutSec = 5;
/** Batches in the handler at once per loop on every route (the default is 4). */
export const soakConcurrency = 4;
// Timer renewal, as on AWS: a loop renews its lease every `renewEverySec`, not before every receive.
// Restart may call a token stale only after the longest gap between renewals (the registry checks
// it): renewEverySec 3 + waitTimeSec 1 + handler timeout 5 + marginSec 1 = 10 < staleAfterSec 11.
/** The soak's local-cloud poller and restart settings. */
export const local = {
  poller: { timeoutSec: 20, waitTimeSec: 1, marginSec: 1, routeCacheTtlSec: 1, renewEverySec: 3 },
  restart: { intervalSec: 2, staleAfterSec: 11, startGraceSec: 6 },
};
/** The soak's busy queues: two standard, one FIFO, each with dedicated loops all along. */
export const busyQueueNames = ["soak-a", "soak-b", "soak-c.fifo"] as const;
/**
 * The soak's quiet queues (`minLoops: 0`): one shared loop polls them; their traffic comes in
 * waves with lulls between, so the shared loop serves them busy and idle, through the faults.
 */
export const quietQueueNames = ["soak-q1", "soak-q2", "soak-q3.fifo"] as const;
/** Every soak queue. */
export const queueNames = [...busyQueueNames, ...quietQueueNames] as const;
/** Waves of traffic on each quiet queue, and the lull after each (no message sent) in long polls. */
export const quietWaves = 4;
export const quietLullPolls = 10;
// FIFO order holds per group: a failed batch blocks its groups until the visibility timeout, so a FIFO
// queue keeps many groups to stay busy (as real FIFO workloads do).
export const fifoGroups = 50;

/**
 * The soak's registry: three busy queues (one FIFO) on the `record` handler, one of them
 * alarm-scaled, each loop with up to {@link soakConcurrency} batches in flight; and three quiet
 * queues (one FIFO) with no dedicated loop at rest, polled by a shared loop.
 */
export function soakRegistry(messagesPerQueue: number): Registry {
  const queue = (name: string) => ({ name, visibilityTimeoutSec: handlerTimeoutSec + 1, maxReceiveCount: 4 });
  return defineDispatcher({
    app: "soak",
    functions: {
      record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: handlerTimeoutSec },
    },
    routes: [
      {
        queue: queue("soak-a"),
        function: "record",
        minLoops: 1,
        maxLoops: 3,
        scaleStep: 2,
        concurrency: soakConcurrency,
        alarms: [{ threshold: Math.max(1, Math.floor(messagesPerQueue * 0.3)) }],
      },
      { queue: queue("soak-b"), function: "record", minLoops: 1, maxLoops: 2, concurrency: soakConcurrency },
      {
        queue: queue("soak-c.fifo"),
        function: "record",
        minLoops: 1,
        maxLoops: 1,
        concurrency: soakConcurrency,
      },
      ...quietQueueNames.map((name) => ({
        queue: queue(name),
        function: "record",
        minLoops: 0,
        maxLoops: 1,
        concurrency: soakConcurrency,
      })),
    ],
    local,
  });
}
