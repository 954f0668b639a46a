import { describe, expect, it } from "vitest";
import { runSoak } from "../../../bench/soak/runSoak.js";

/**
 * The small soak of the test line: the invariants of `pnpm soak` (nothing lost, routes back to
 * their loops, no loop on a lost token, scaling both ways, FIFO order per group) under faults, with
 * several batches in flight per loop and timer renewal, on a few hundred messages.
 * Speed is not asserted; `pnpm soak` is the big run.
 */
describe("the soak", () => {
  it("keeps its invariants under injected faults and killed environments", async () => {
    const report = await runSoak({ messagesPerQueue: 150 });
    expect(report.broken).toEqual([]);
    expect(report.invariants.sent).toBe(450);
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
