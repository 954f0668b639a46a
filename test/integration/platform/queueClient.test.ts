import { CreateQueueCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type QueueClient, toSqsEvent } from "@sqs-dispatcher/core";
import { createSqsQueueClient } from "@sqs-dispatcher/core/aws";
import {
  createLocalClients,
  type LocalClients,
  type LocalCloud,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let cloud: LocalCloud;
let clients: LocalClients;
let sqs: SQSClient;
let queue: QueueClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  clients = createLocalClients(cloud);
  sqs = clients.sqs;
  queue = createSqsQueueClient(sqs);
});

afterAll(async () => {
  clients?.destroy();
  await cloud?.stop();
});

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return out.QueueUrl!;
}

describe("SQS queue client against the local cloud", () => {
  it("receives every system and message attribute and shapes them as Lambda's SQS event", async () => {
    const url = await createQueue("qc-attributes.fifo", {
      FifoQueue: "true",
      ContentBasedDeduplication: "true",
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"n":1}',
        MessageGroupId: "g1",
        MessageAttributes: {
          kind: { DataType: "String", StringValue: "order" },
          blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    const messages = await queue.receive(url, { maxMessages: 10, waitTimeSec: 5 });
    expect(messages).toHaveLength(1);
    const event = toSqsEvent(messages, url, cloud.region);
    const record = event.Records[0]!;
    expect(record).toMatchObject({
      body: '{"n":1}',
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:${cloud.region}:${cloud.accountId}:qc-attributes.fifo`,
      awsRegion: cloud.region,
      attributes: { ApproximateReceiveCount: "1", MessageGroupId: "g1" },
      messageAttributes: {
        kind: { stringValue: "order", stringListValues: [], binaryListValues: [], dataType: "String" },
        blob: { binaryValue: "AQID", stringListValues: [], binaryListValues: [], dataType: "Binary" },
      },
    });
    expect(record.attributes["SentTimestamp"]).toMatch(/^\d+$/);
    expect(record.attributes["MessageDeduplicationId"]).toBeTruthy();
    expect(record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(record.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  });

  it("reads the queue's visibility timeout, extends a message's visibility, and deletes in batches", async () => {
    const url = await createQueue("qc-visibility", { VisibilityTimeout: "1" });
    expect(await queue.visibilityTimeoutSec?.(url)).toBe(1);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a" }));
    const [first] = await queue.receive(url, { maxMessages: 1, waitTimeSec: 5 });
    expect(first).toBeDefined();
    // Extended well past the queue's 1 s timeout: a 3 s long poll must not see it again.
    await queue.changeVisibility(url, [first!.receiptHandle], 60);
    expect(await queue.receive(url, { maxMessages: 1, waitTimeSec: 3 })).toEqual([]);
    // Visibility 0 hands it straight back, received a second time.
    await queue.changeVisibility(url, [first!.receiptHandle], 0);
    const [again] = await queue.receive(url, { maxMessages: 1, waitTimeSec: 5 });
    expect(again?.messageId).toBe(first!.messageId);
    expect(again?.attributes["ApproximateReceiveCount"]).toBe("2");
    expect(await queue.deleteBatch(url, [again!.receiptHandle])).toEqual({ retryable: [], rejected: [] });
    await queue.changeVisibility(url, [], 0);
    expect(await queue.receive(url, { maxMessages: 1, waitTimeSec: 2 })).toEqual([]);
  });

  it("asks for at most 10 messages however large the batch, as SQS refuses more", async () => {
    const url = await createQueue("qc-clamp");
    for (let i = 0; i < 12; i += 1)
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    const messages = await queue.receive(url, { maxMessages: 25, waitTimeSec: 1 });
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.length).toBeLessThanOrEqual(10);
  });
});
