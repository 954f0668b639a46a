import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTestPlatform,
  type TestPlatform,
  testFunctions,
  testRegistry,
} from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

describe("a loop's recursion", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        functions: { record: { ...testFunctions.record, timeoutSec: 1 } },
        routes: [{ queue: { name: "chain", visibilityTimeoutSec: 3 }, function: "record" }],
        // Nothing goes stale during the test, so the one loop is never replaced: one chain.
        local: { restart: { intervalSec: 60, staleAfterSec: 60, startGraceSec: 60 } },
      }),
      // A 5 s poller fits its first heartbeat and one batch (1 s wait + the longest handler timeout,
      // 2 s, + 1 s margin) per invocation, so the loop recurses every second or two.
      { scheduler: false, pollerTimeoutSec: 5 },
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("runs more than 20 recursions (the poller is RecursiveLoop Allow) while its handler keeps working deep in the chain", async () => {
    await platform.restartNow();
    const url = platform.queueUrl("chain");
    const [first] = await waitFor(
      async () => {
        const tokens = await platform.tokens(url);
        return tokens[0]?.lastUsed !== undefined ? tokens : undefined;
      },
      { timeoutMs: 20_000, description: "the loop heartbeating" },
    );

    // Past the depth (~16) at which AWS's recursion guard stops a chain of a Terminate function.
    await waitFor(() => platform.cloud.lambda.stats("poller").invocations >= 18, {
      timeoutMs: 90_000,
      intervalMs: 500,
      description: "18 poller invocations in the chain",
    });
    const ids = await platform.send(
      "chain",
      Array.from({ length: 5 }, (_, n) => ({ n })),
    );
    const items = await waitFor(
      async () => {
        const found = await platform.processed(ids);
        return found.size === ids.length ? found : undefined;
      },
      { timeoutMs: 20_000, description: "messages sent deep in the chain recorded by the handler" },
    );
    for (const item of items.values()) expect(item.deliveries).toBe(1);

    await waitFor(() => platform.cloud.lambda.stats("poller").invocations >= 22, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: "more than 20 recursions",
    });
    const poller = platform.cloud.lambda.stats("poller");
    const handler = platform.cloud.lambda.stats("record");
    expect(poller.recursionStops).toBe(0);
    expect(poller.errors).toBe(0);
    expect(handler.recursionStops).toBe(0);
    expect(handler.errors).toBe(0);
    // Still the first loop: every one of those invocations was the same chain, not a restart.
    const [now] = await platform.tokens(url);
    expect(now?.loopId).toBe(first?.loopId);
    expect(now?.lastUsed).toBeGreaterThan(first?.lastUsed ?? 0);
  }, 180_000);
});
