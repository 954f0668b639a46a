import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "./support/testPlatform.js";
import { waitFor } from "./support/waitFor.js";

/** The bound a first message on a quiet queue must be handled within, from its send to the handler's record. */
const firstMessageBoundMs = 3_000;
const quietCount = 8;
const perLoop = 4;
const quiet = Array.from({ length: quietCount }, (_, i) => `quiet-${i}`);

interface RestartResult {
  started: number;
  claimed: number;
}

describe("shared loops", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [
          ...quiet.map((name) => ({ queue: { name }, function: "record", minLoops: 0, maxLoops: 2 })),
          { queue: { name: "quiet-order.fifo" }, function: "record", minLoops: 0, maxLoops: 1 },
        ],
        local: { poller: { sharedQueuesPerLoop: perLoop } },
      }),
      { scheduler: false },
    );
    await platform.restartNow();
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("polls every quiet route from ⌈routes / sharedQueuesPerLoop⌉ shared loops, and no dedicated loop", async () => {
    const groups = Math.ceil((quietCount + 1) / perLoop);
    for (const name of [...quiet, "quiet-order.fifo"]) {
      const rows = await platform.tokens(platform.queueUrl(name));
      expect(rows.map((r) => r.token)).toEqual(["shared"]);
    }
    await waitFor(() => platform.cloud.lambda.stats("poller").busy === groups, {
      timeoutMs: 20_000,
      description: `${groups} poller invocations running`,
    });
  }, 30_000);

  it("handles a first message on each of several quiet queues within the bound, measured from send to handler", async () => {
    const sample = quiet.slice(0, 4);
    const sent = await Promise.all(
      sample.map(async (name) => ({
        at: Date.now(),
        id: (await platform.send(name, [{ first: name }]))[0]!,
      })),
    );
    const items = await waitFor(
      async () => {
        const found = await platform.processed(sent.map((s) => s.id));
        return found.size === sent.length ? found : undefined;
      },
      { timeoutMs: 20_000, description: "the first messages handled" },
    );
    for (const { at, id } of sent)
      expect(items.get(id)!.firstAt - at).toBeLessThanOrEqual(firstMessageBoundMs);
  }, 30_000);
});
