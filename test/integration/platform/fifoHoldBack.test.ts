import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/*
 * The poller's FIFO rule end to end (docs/protocol.md, core/dispatch/fifoOrder.ts): the handler
 * reports only the failing record, not the later records of its group that it processed fine;
 * the poller must still hold those back (not delete them), so the group comes again from the
 * failed record on. This needs several messages of one group in one batch, which the local SQS
 * returns as AWS does (docs/local-cloud.md).
 */
describe("FIFO hold-back by the poller", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        functions: {
          // Records into `processed` as the example handlers do: `example: true` has the stack grant it that table.
          failOnly: {
            handler: "test/fixtures/functions/failOnlyRecord.handler",
            timeoutSec: 2,
            example: true,
          },
        },
        routes: [
          {
            queue: { name: "orders.fifo", visibilityTimeoutSec: 2, maxReceiveCount: 5 },
            function: "failOnly",
          },
        ],
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("does not delete the later records of a failed group, so the handler sees the group in order across the failure", async () => {
    const a = await platform.send(
      "orders.fifo",
      Array.from({ length: 8 }, (_, i) =>
        i === 3 ? { i, traceOrder: true, fail: true, untilReceiveCount: 2 } : { i, traceOrder: true },
      ),
      { groupId: "a" },
    );
    const b = await platform.send(
      "orders.fifo",
      Array.from({ length: 4 }, (_, i) => ({ i, traceOrder: true })),
      { groupId: "b" },
    );

    const all = [...a, ...b];
    await waitFor(
      async () => {
        const found = await platform.processed(all);
        return found.size === all.length && found.get(a[3]!)?.deliveries === 2;
      },
      { timeoutMs: 60_000, description: "every message recorded and a3 delivered again" },
    );
    await waitFor(
      async () => {
        const depth = await platform.depth(platform.queueUrl("orders.fifo"));
        return depth.visible === 0 && depth.inFlight === 0;
      },
      { timeoutMs: 20_000, description: "the FIFO queue empty" },
    );

    // One batch held a0..a7; the handler processed a4..a7 too, but they were held back behind a3
    // and came again after it, in order. Without the hold-back the log would end at the second a3.
    expect(await platform.orderLog("orders.fifo", "a")).toEqual([...a, ...a.slice(3)]);
    const items = await platform.processed(all);
    expect(a.map((id) => items.get(id)?.deliveries)).toEqual([1, 1, 1, 2, 2, 2, 2, 2]);
    expect(await platform.orderLog("orders.fifo", "b")).toEqual(b);
    expect(b.map((id) => items.get(id)?.deliveries)).toEqual([1, 1, 1, 1]);
    expect((await platform.depth(platform.dlqUrl("orders.fifo"))).visible).toBe(0);
  }, 90_000);
});
