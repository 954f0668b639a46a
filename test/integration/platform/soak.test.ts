import { describe, expect, it } from "vitest";
import { runSoak } from "../../../bench/soak/runSoak.js";

/**
 * The small soak of the test line: the invariants of `pnpm soak` (nothing lost, routes back to
 * their loops — quiet ones to a live shared loop —, no loop, dedicated or shared, on a lost lease,
 * scaling both ways, FIFO order per group on busy and quiet queues) under faults, with
 * several batches in flight per loop and timer renewal, on a few hundred messages.
 * Speed is not asserted; `pnpm soak` is the big run.
 */
describe("the soak", () => {
  it("keeps its invariants under injected faults and killed environments", async () => {
    const report = await runSoak({ messagesPerQueue: 150 });
    expect(report.broken).toEqual([]);
    // 150 to each busy queue, and waves of a tenth of that to each quiet queue.
    const sentTo = Object.fromEntries(report.queues.map((q) => [q.name, q.sent]));
    expect([sentTo["soak-a"], sentTo["soak-b"], sentTo["soak-c.fifo"]]).toEqual([150, 150, 150]);
    for (const name of ["soak-q1", "soak-q2", "soak-q3.fifo"])
      expect(sentTo[name]).toBeGreaterThanOrEqual(15);
    expect(report.invariants.sent).toBe(report.queues.reduce((n, q) => n + q.sent, 0));
    // Loops ran several batches at once and renewed on a timer, and FIFO order was really checked.
    expect(report.settings.concurrency).toBeGreaterThan(1);
    expect(report.invariants.fifoOrder.groups).toBeGreaterThan(0);
    // The faults really happened.
    expect(Object.values(report.faultCounts).some((c) => c.injected > 0)).toBe(true);
  }, 300_000);

  it("fails when the poller deletes messages before their handler succeeded", async () => {
    const report = await runSoak({
      messagesPerQueue: 40,
      faults: false,
      // Many poison messages: each one the broken poller deletes is lost instead of reaching the DLQ.
      mix: { poison: 0.2, failOnce: 0.1, crashOnce: 0, slowOnce: 0 },
      pollerHandler: "test/fixtures/functions/deleteBeforeDispatchPoller.handler",
      // It empties the queues before an alarm can be confirmed: no scale-up to wait for.
      scaling: false,
    });
    expect(report.invariants.lost.length).toBeGreaterThan(0);
    expect(report.broken.some((line) => /message\(s\) lost/.test(line))).toBe(true);
  }, 300_000);
});
