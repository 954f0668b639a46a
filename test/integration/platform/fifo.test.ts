import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/** Collapses immediate repeats (a redelivery right after a failure) so the order of first successes shows. */
const collapse = (ids: readonly string[]) => ids.filter((id, i) => id !== ids[i - 1]);

describe("FIFO queues", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [
          { queue: { name: "ledger.fifo", visibilityTimeoutSec: 2, maxReceiveCount: 5 }, function: "record" },
        ],
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("hands each message group to the handler in order, also across a failure in the middle of a group", async () => {
    const group = (name: string, failAt?: number) =>
      Array.from({ length: 8 }, (_, i) =>
        i === failAt
          ? { group: name, i, traceOrder: true, fail: true, untilReceiveCount: 2 }
          : { group: name, i, traceOrder: true },
      );
    const a = await platform.send("ledger.fifo", group("a", 3), { groupId: "a" });
    const b = await platform.send("ledger.fifo", group("b"), { groupId: "b" });

    const all = [...a, ...b];
    const items = await waitFor(
      async () => {
        const found = await platform.processed(all);
        return found.size === all.length ? found : undefined;
      },
      { timeoutMs: 60_000, description: "every message of both groups recorded" },
    );
    await waitFor(
      async () => {
        const depth = await platform.depth(platform.queueUrl("ledger.fifo"));
        return depth.visible === 0 && depth.inFlight === 0;
      },
      { timeoutMs: 20_000, description: "the FIFO queue empty" },
    );

    const logA = await platform.orderLog("ledger.fifo", "a");
    expect(collapse(logA)).toEqual(a);
    // The failed message was seen twice, back to back: nothing of its group overtook it.
    expect(logA.filter((id) => id === a[3])).toHaveLength(2);
    expect(items.get(a[3]!)?.deliveries).toBe(2);
    expect(collapse(await platform.orderLog("ledger.fifo", "b"))).toEqual(b);
    expect((await platform.depth(platform.dlqUrl("ledger.fifo"))).visible).toBe(0);
  }, 90_000);
});
