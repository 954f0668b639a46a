import { describe, expect, it } from "vitest";
import type { QueueMessage } from "../queue/ports.js";
import { queueLocationOf, toSqsEvent } from "./sqsEvent.js";

// Lambda's own sample events (AWS Lambda developer guide, "Using Lambda with Amazon SQS").
const lambdaStandardRecord = {
  messageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
  receiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
  body: "Test message.",
  attributes: {
    ApproximateReceiveCount: "1",
    SentTimestamp: "1545082649183",
    SenderId: "AIDAIENQZJOLO23YVJ4VO",
    ApproximateFirstReceiveTimestamp: "1545082649185",
  },
  messageAttributes: {
    myAttribute: { stringValue: "myValue", stringListValues: [], binaryListValues: [], dataType: "String" },
  },
  md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
  eventSource: "aws:sqs",
  eventSourceARN: "arn:aws:sqs:us-east-2:123456789012:my-queue",
  awsRegion: "us-east-2",
};

const lambdaFifoRecord = {
  messageId: "11d6ee51-4cc7-4302-9e22-7cd8afdaadf5",
  receiptHandle: "AQEBBX8nesZEXmkhsmZeyIE8iQAMig7qw...",
  body: "Test message.",
  attributes: {
    ApproximateReceiveCount: "1",
    SentTimestamp: "1573251510774",
    SequenceNumber: "18849496460467696128",
    MessageGroupId: "1",
    SenderId: "AIDAIO23YVJENQZJOL4VO",
    MessageDeduplicationId: "1",
    ApproximateFirstReceiveTimestamp: "1573251510774",
  },
  messageAttributes: {},
  md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
  eventSource: "aws:sqs",
  eventSourceARN: "arn:aws:sqs:us-east-2:123456789012:fifo.fifo",
  awsRegion: "us-east-2",
};

describe("toSqsEvent", () => {
  it("shapes a standard queue's message exactly like Lambda's SQS event source", () => {
    const received: QueueMessage = {
      messageId: lambdaStandardRecord.messageId,
      receiptHandle: lambdaStandardRecord.receiptHandle,
      body: lambdaStandardRecord.body,
      md5OfBody: lambdaStandardRecord.md5OfBody,
      attributes: lambdaStandardRecord.attributes,
      messageAttributes: { myAttribute: { dataType: "String", stringValue: "myValue" } },
    };
    const event = toSqsEvent(
      [received],
      "https://sqs.us-east-2.amazonaws.com/123456789012/my-queue",
      "us-east-1",
    );
    expect(event).toStrictEqual({ Records: [lambdaStandardRecord] });
  });

  it("shapes a FIFO queue's message exactly like Lambda's SQS event source", () => {
    const received: QueueMessage = {
      messageId: lambdaFifoRecord.messageId,
      receiptHandle: lambdaFifoRecord.receiptHandle,
      body: lambdaFifoRecord.body,
      md5OfBody: lambdaFifoRecord.md5OfBody,
      attributes: lambdaFifoRecord.attributes,
      messageAttributes: {},
    };
    const event = toSqsEvent(
      [received],
      "https://sqs.us-east-2.amazonaws.com/123456789012/fifo.fifo",
      "us-east-1",
    );
    expect(event).toStrictEqual({ Records: [lambdaFifoRecord] });
  });

  it("keeps binary attributes base64 and carries md5OfMessageAttributes when present", () => {
    const event = toSqsEvent(
      [
        {
          messageId: "m",
          receiptHandle: "r",
          body: "b",
          md5OfBody: "x",
          md5OfMessageAttributes: "y",
          attributes: {},
          messageAttributes: { bin: { dataType: "Binary", binaryValue: "AQID" } },
        },
      ],
      "http://127.0.0.1:4566/000000000000/local",
      "eu-west-1",
    );
    expect(event.Records[0]).toMatchObject({
      messageAttributes: {
        bin: { binaryValue: "AQID", stringListValues: [], binaryListValues: [], dataType: "Binary" },
      },
      md5OfMessageAttributes: "y",
      eventSourceARN: "arn:aws:sqs:eu-west-1:000000000000:local",
      awsRegion: "eu-west-1",
    });
  });
});

describe("queueLocationOf", () => {
  it.each([
    ["https://sqs.eu-central-1.amazonaws.com/111122223333/q", "arn:aws:sqs:eu-central-1:111122223333:q"],
    ["https://queue.amazonaws.com/111122223333/q", "arn:aws:sqs:us-east-1:111122223333:q"],
    ["https://ap-south-1.queue.amazonaws.com/111122223333/q", "arn:aws:sqs:ap-south-1:111122223333:q"],
    ["https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q", "arn:aws-cn:sqs:cn-north-1:111122223333:q"],
    ["http://localhost:4566/000000000000/q.fifo", "arn:aws:sqs:us-west-2:000000000000:q.fifo"],
  ])("derives the ARN of %s", (url, arn) => {
    expect(queueLocationOf(url, "us-west-2").arn).toBe(arn);
  });
});
