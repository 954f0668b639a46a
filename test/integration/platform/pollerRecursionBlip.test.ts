import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTestPlatform,
  type TestPlatform,
  testFunctions,
  testRegistry,
} from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/*
 * The recursion (docs/protocol.md, "Recurse") through a Lambda API outage: the poller's self-invoke is retried through the
 * invocation's margin; when the outage outlasts it, the invocation fails so that Lambda's own async
 * retry runs the same event again. The loop goes on with its loopId, with no restart involved
 * (the scheduler is off and nothing is stale long enough).
 */
describe("a loop's recursion through a Lambda API outage", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        functions: { record: { ...testFunctions.record, timeoutSec: 1 } },
        routes: [{ queue: { name: "blip", visibilityTimeoutSec: 3 }, function: "record" }],
        local: { restart: { intervalSec: 60, staleAfterSec: 60, startGraceSec: 60 } },
      }),
      { scheduler: false, pollerTimeoutSec: 6 },
    );
  }, 120_000);
  afterAll(async () => {
    platform?.cloud.faults.set([]);
    await platform?.stop();
  });

  it("fails the invocation when every self-invoke is refused, and Lambda's retry carries the same loop on", async () => {
    await platform.restartNow();
    const url = platform.queueUrl("blip");
    const [first] = await waitFor(
      async () => {
        const tokens = await platform.tokens(url);
        return tokens[0]?.lastUsed !== undefined ? tokens : undefined;
      },
      { timeoutMs: 20_000, description: "the loop heartbeating" },
    );
    // Every Lambda call the poller makes is refused for longer than one invocation, so at least one
    // invocation ends inside the outage and cannot recurse.
    platform.cloud.faults.set([
      {
        service: "lambda",
        operation: "Invoke",
        rate: 1,
        caller: "poller",
        error: { status: 429, type: "TooManyRequestsException", message: "Rate Exceeded." },
      },
    ]);
    // The poller logs before its invocation fails, and the local Lambda counts the error only when
    // the failed invocation has returned: wait for both, or a loaded machine reads the count between them.
    await waitFor(
      () =>
        platform.logs.some((l) =>
          /self-invoke failed until the invocation ran out of time/.test(l.message),
        ) && platform.cloud.lambda.stats("poller").errors >= 1,
      { timeoutMs: 20_000, intervalMs: 200, description: "an invocation that could not recurse, failed" },
    );
    platform.cloud.faults.set([]);

    const ids = await platform.send(
      "blip",
      Array.from({ length: 5 }, (_, n) => ({ n })),
    );
    await waitFor(async () => (await platform.processed(ids)).size === ids.length, {
      timeoutMs: 30_000,
      description: "messages sent after the outage recorded",
    });
    const [now] = await platform.tokens(url);
    // The same loop, carried on by Lambda's retry of the failed invocation: no restart ran.
    expect(now?.loopId).toBe(first?.loopId);
    expect(now?.lastUsed).toBeGreaterThan(first?.lastUsed ?? 0);
    expect(platform.cloud.lambda.stats("poller").recursionStops).toBe(0);
  }, 120_000);
});
