import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const clientConfig = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

let cloud: LocalCloud;
let sqs: SQSClient;
let sns: SNSClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  sqs = new SQSClient(clientConfig(cloud.endpoint));
  sns = new SNSClient(clientConfig(cloud.endpoint));
});

afterAll(async () => {
  sqs?.destroy();
  sns?.destroy();
  await cloud?.stop();
});

/** Receives until `count` messages arrived or the deadline passed (long polls, no sleeps). */
async function receiveAtLeast(queueUrl: string, count: number, timeoutMs = 15_000): Promise<Message[]> {
  const deadline = Date.now() + timeoutMs;
  const received: Message[] = [];
  while (received.length < count && Date.now() < deadline) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    received.push(...(out.Messages ?? []));
  }
  return received;
}

describe("SQS through the edge", () => {
  it("creates a queue whose URL points at the edge, and lists and finds it", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "edge-basic" }));
    expect(QueueUrl).toBe(`${cloud.endpoint}/000000000000/edge-basic`);
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "edge-" }));
    expect(listed.QueueUrls).toContain(QueueUrl);
    const found = await sqs.send(new GetQueueUrlCommand({ QueueName: "edge-basic" }));
    expect(found.QueueUrl).toBe(QueueUrl);
  });

  it("sends, receives with attributes, and deletes messages", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "edge-messages" }));
    const queueUrl = QueueUrl ?? "";
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: "single",
        MessageAttributes: { kind: { DataType: "String", StringValue: "one" } },
      }),
    );
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [1, 2, 3].map((i) => ({ Id: `m${i}`, MessageBody: `batch-${i}` })),
      }),
    );
    expect(batch.Successful).toHaveLength(3);

    const messages = await receiveAtLeast(queueUrl, 4);
    expect(messages.map((m) => m.Body).sort()).toEqual(["batch-1", "batch-2", "batch-3", "single"]);
    expect(messages.find((m) => m.Body === "single")?.MessageAttributes?.kind?.StringValue).toBe("one");

    const [first, ...rest] = messages;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first?.ReceiptHandle }));
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: rest.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    expect(deleted.Successful).toHaveLength(3);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe("0");
  });

  it("accepts a queue URL naming the edge by another host (localhost)", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "edge-alias" }));
    const viaLocalhost = (QueueUrl ?? "").replace("127.0.0.1", "localhost");
    await sqs.send(new SendMessageCommand({ QueueUrl: viaLocalhost, MessageBody: "aliased" }));
    const messages = await receiveAtLeast(QueueUrl ?? "", 1);
    expect(messages.map((m) => m.Body)).toEqual(["aliased"]);
  });

  it("answers a missing queue with an AWS error", async () => {
    await expect(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: `${cloud.endpoint}/000000000000/no-such-queue`,
          MessageBody: "x",
        }),
      ),
    ).rejects.toMatchObject({ name: expect.stringMatching(/NonExistentQueue|QueueDoesNotExist/) });
  });
});

describe("SNS through the edge", () => {
  it("delivers a published message to a subscribed SQS queue", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "edge-topic" }));
    expect(TopicArn).toBe("arn:aws:sns:us-east-1:000000000000:edge-topic");
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "edge-topic-sink" }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: attrs.Attributes?.QueueArn ?? "" }),
    );

    await sns.send(new PublishCommand({ TopicArn, Message: "alarm!", Subject: "state change" }));

    const [delivered] = await receiveAtLeast(QueueUrl ?? "", 1);
    const envelope = JSON.parse(delivered?.Body ?? "{}") as Record<string, unknown>;
    expect(envelope).toMatchObject({
      Type: "Notification",
      TopicArn,
      Message: "alarm!",
      Subject: "state change",
    });
  });
});
