import { GetQueueAttributesCommand, QueueDoesNotExist, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { isMissingQueue } from "./missingQueue.js";
import { readQueueDepth } from "./queueDepth.js";

const sqs = new SQSClient({ region: "us-east-1" });
const mock = mockClient(sqs);
const url = "https://sqs.us-east-1.amazonaws.com/1/q";

afterEach(() => mock.reset());

describe("readQueueDepth", () => {
  it("reads the three counts of one queue in one call", async () => {
    mock.on(GetQueueAttributesCommand).resolves({
      Attributes: {
        ApproximateNumberOfMessages: "7",
        ApproximateNumberOfMessagesNotVisible: "3",
        ApproximateNumberOfMessagesDelayed: "1",
      },
    });
    expect(await readQueueDepth(sqs, url)).toEqual({ visible: 7, inFlight: 3, delayed: 1 });
    expect(mock.commandCalls(GetQueueAttributesCommand)).toHaveLength(1);
    expect(mock.commandCalls(GetQueueAttributesCommand)[0]?.args[0].input.QueueUrl).toBe(url);
  });

  it("reads a count SQS leaves out, or one that is not a number, as 0", async () => {
    mock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "x" } });
    expect(await readQueueDepth(sqs, url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("lets a missing queue's error through, which isMissingQueue recognises", async () => {
    mock
      .on(GetQueueAttributesCommand)
      .rejects(new QueueDoesNotExist({ message: "The specified queue does not exist.", $metadata: {} }));
    const error = await readQueueDepth(sqs, url).catch((e: unknown) => e);
    expect(isMissingQueue(error)).toBe(true);
    expect(isMissingQueue(new Error("throttled"))).toBe(false);
  });
});
