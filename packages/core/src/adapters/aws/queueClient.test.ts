import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { isRetryable } from "../../errors.js";
import { createSqsQueueClient } from "./queueClient.js";

const sqs = new SQSClient({ region: "us-east-1" });
const mock = mockClient(sqs);
const queue = createSqsQueueClient(sqs);
const url = "https://sqs.us-east-1.amazonaws.com/1/q";

afterEach(() => mock.reset());

// Error paths only: receiving, attribute mapping and deleting run against the local cloud in
// test/integration/queueClient.test.ts.

describe("createSqsQueueClient", () => {
  it("returns the receipt handles a DeleteMessageBatch reported failed", async () => {
    mock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: "0" }],
      Failed: [{ Id: "1", Code: "InternalError", SenderFault: false }],
    });
    expect(await queue.deleteBatch(url, ["r0", "r1"])).toEqual(["r1"]);
  });

  it("reports a whole throttled chunk for retry and deletes in chunks of 10", async () => {
    mock
      .on(DeleteMessageBatchCommand)
      .rejectsOnce(Object.assign(new Error("slow down"), { name: "ThrottlingException" }))
      .resolves({ Successful: [] });
    const handles = Array.from({ length: 12 }, (_, i) => `r${i}`);
    expect(await queue.deleteBatch(url, handles)).toEqual(handles.slice(0, 10));
    expect(mock.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      10, 2,
    ]);
  });

  it("translates retryable receive errors", async () => {
    mock
      .on(ReceiveMessageCommand)
      .rejects(Object.assign(new Error("down"), { $metadata: { httpStatusCode: 503 } }));
    const error = await queue.receive(url, { maxMessages: 1, waitTimeSec: 0 }).catch((e: unknown) => e);
    expect(isRetryable(error)).toBe(true);
  });
});
