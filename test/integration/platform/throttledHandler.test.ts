import { InvokeCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/*
 * A throttled handler never costs a message its receives (docs/protocol.md, "An invoke that did
 * not run the handler"): the route's function has reserved concurrency 1 and the test keeps that
 * one slot busy for several poller invocations (10 s each), so the loop's invokes are refused with
 * Lambda's 429. The queue dead-letters after 2 receives: a loop that took its batches again in
 * every invocation would send them to the DLQ without their handler having run.
 */
const throttleMs = 45_000;
const blockerSleepMs = 2_500;

describe("a handler throttled across several poller invocations", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        functions: {
          narrow: {
            handler: "packages/functions/src/handlers/record.handler",
            timeoutSec: 3,
            reservedConcurrency: 1,
          },
        },
        routes: [
          {
            queue: { name: "throttled", visibilityTimeoutSec: 4, maxReceiveCount: 2 },
            function: "narrow",
            batchSize: 5,
            concurrency: 1,
          },
        ],
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("sends nothing to the DLQ, shows the route blocked meanwhile, and processes everything afterwards", async () => {
    const { lambda } = platform.deployment.clients;
    const blockedSeen = new Set<string>();
    const until = Date.now() + throttleMs;
    // Keeps the function's one slot busy: back-to-back invokes that sleep, retried at once when
    // one of the loop's invokes took the slot in between.
    const blocker = (async () => {
      for (let i = 0; Date.now() < until; i++) {
        const record = {
          messageId: `blocker-${i}`,
          receiptHandle: "none",
          body: JSON.stringify({ sleepMs: blockerSleepMs }),
          attributes: {},
          messageAttributes: {},
          md5OfBody: "",
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:blocker",
          awsRegion: "us-east-1",
        };
        await lambda
          .send(new InvokeCommand({ FunctionName: "narrow", Payload: JSON.stringify({ Records: [record] }) }))
          .catch(() => new Promise((resolve) => setTimeout(resolve, 5)));
      }
    })();
    const watcher = (async () => {
      while (Date.now() < until) {
        for (const t of await platform.tokens(platform.queueUrl("throttled"))) {
          if (t.blockedReason) blockedSeen.add(t.blockedReason);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    // Sent once the slot is taken, so the loop's first invokes are refused.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ids = await platform.send(
      "throttled",
      Array.from({ length: 20 }, (_, i) => ({ i })),
    );
    await Promise.all([blocker, watcher]);

    const dlq = platform.dlqUrl("throttled");
    await waitFor(
      async () =>
        (await platform.depth(dlq)).visible > 0 || (await platform.processed(ids)).size === ids.length,
      { timeoutMs: 120_000, intervalMs: 500, description: "every message processed or one dead-lettered" },
    );
    expect((await platform.depth(dlq)).visible).toBe(0);
    expect((await platform.processed(ids)).size).toBe(ids.length);
    expect(blockedSeen).toContain("throttled");
  }, 240_000);
});
