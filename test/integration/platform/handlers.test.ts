import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/** An SQS event exactly as Lambda's event source mapping builds it. */
function lambdaSqsEvent(queueArn: string, records: { messageId: string; body: string }[]) {
  return {
    Records: records.map(({ messageId, body }) => ({
      messageId,
      receiptHandle: `rh-${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(Date.now()),
        SenderId: "AIDAIENQZJOLO23YVJ4VO",
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: "0",
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: "us-east-1",
    })),
  };
}

async function invoke(lambda: LambdaClient, functionName: string, payload: unknown) {
  const result = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(payload) }),
  );
  const text = result.Payload ? new TextDecoder().decode(result.Payload) : "";
  return { functionError: result.FunctionError, payload: text ? JSON.parse(text) : undefined };
}

describe("the example handlers", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [
          {
            queue: { name: "pt", visibilityTimeoutSec: 2, maxReceiveCount: 2 },
            function: "powertoolsRecord",
          },
          { queue: { name: "md", visibilityTimeoutSec: 2, maxReceiveCount: 2 }, function: "middyRecord" },
        ],
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("answer Lambda's own SQS event source with batchItemFailures naming exactly the failed records", async () => {
    const arn = "arn:aws:sqs:us-east-1:000000000000:direct";
    const event = lambdaSqsEvent(arn, [
      { messageId: "d-1", body: "plain text" },
      { messageId: "d-2", body: JSON.stringify({ fail: true }) },
      { messageId: "d-3", body: JSON.stringify({ n: 3 }) },
    ]);
    for (const fn of ["record", "powertoolsRecord", "middyRecord"]) {
      const { functionError, payload } = await invoke(platform.deployment.clients.lambda, fn, event);
      expect(functionError, `${fn}: ${JSON.stringify(payload)}`).toBeUndefined();
      expect(payload, fn).toEqual({ batchItemFailures: [{ itemIdentifier: "d-2" }] });
    }
    const crash = await invoke(
      platform.deployment.clients.lambda,
      "record",
      lambdaSqsEvent(arn, [{ messageId: "d-4", body: JSON.stringify({ crash: true }) }]),
    );
    expect(crash.functionError).toBe("Unhandled");
    expect(crash.payload.errorType).toBe("RequestedFailureError");
    const noop = await invoke(platform.deployment.clients.lambda, "noop", event);
    expect(noop).toEqual({ functionError: undefined, payload: null });
    const recorded = await platform.processed(["d-1", "d-2", "d-3"]);
    // Three handlers each saw every record once.
    for (const id of ["d-1", "d-2", "d-3"]) expect(recorded.get(id)?.deliveries).toBe(3);
    expect(recorded.get("d-1")?.queue).toBe("direct");
  });

  for (const [queue, fn] of [
    ["pt", "Powertools BatchProcessor"],
    ["md", "@middy/sqs-partial-batch-failure"],
  ] as const) {
    it(`honours the partial failures of the ${fn} handler through the poller`, async () => {
      const bodies = Array.from({ length: 20 }, (_, n) => (n % 5 === 1 ? { n, fail: true } : { n }));
      const ids = await platform.send(queue, bodies);
      const failIds = ids.filter((_, i) => i % 5 === 1);
      const okIds = ids.filter((_, i) => i % 5 !== 1);
      await waitFor(
        async () => {
          const dlq = await platform.depth(platform.dlqUrl(queue));
          const main = await platform.depth(platform.queueUrl(queue));
          return dlq.visible === failIds.length && main.visible === 0 && main.inFlight === 0;
        },
        { timeoutMs: 45_000, description: `${queue}: failed records in the DLQ, the queue empty` },
      );
      const items = await platform.processed(ids);
      // Succeeded records were deleted after their first delivery, not retried with the failed ones.
      for (const id of okIds) expect(items.get(id)?.deliveries).toBe(1);
      for (const id of failIds) expect(items.get(id)?.deliveries).toBe(2);
      const { Messages = [] } = await platform.deployment.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: platform.dlqUrl(queue),
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      expect(Messages.map((m) => m.MessageId).sort()).toEqual([...failIds].sort());
    }, 60_000);
  }
});
