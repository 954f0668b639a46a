import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { QueueClient, QueueMessage } from "@sqs-dispatcher/core";
import { createSqsMessageForwarder, createSqsQueueClient } from "@sqs-dispatcher/core/aws";
import {
  createLocalClients,
  type LocalClients,
  type LocalCloud,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

let cloud: LocalCloud;
let sqs: SQSClient;
let queue: QueueClient;
let clients: LocalClients;

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

/** Receives (without deleting) until `count` messages came, within a deadline. */
async function receiveAll(url: string, count: number, description: string): Promise<QueueMessage[]> {
  const out: QueueMessage[] = [];
  return waitFor(
    async () => {
      out.push(...(await queue.receive(url, { maxMessages: 10, waitTimeSec: 1 })));
      return out.length >= count && out;
    },
    { timeoutMs: 15_000, intervalMs: 0, description },
  );
}

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
}

describe("forwarding messages that match no filter (SendMessageBatch against the local cloud)", () => {
  it("sends body and every message attribute, in batches within SQS's limits", async () => {
    const source = await createQueue("fwd-source");
    const target = await createQueue("fwd-target");
    for (let i = 0; i < 13; i++) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: source,
          MessageBody: JSON.stringify({ n: i }),
          MessageAttributes: {
            kind: { DataType: "String", StringValue: `k${i}` },
            amount: { DataType: "Number", StringValue: String(i * 10) },
            blob: { DataType: "Binary", BinaryValue: new Uint8Array([i, 1, 2]) },
          },
        }),
      );
    }
    const received = await receiveAll(source, 13, "13 messages on the source");

    const failed = await createSqsMessageForwarder(sqs).forward("fwd-target", received);
    expect(failed).toEqual([]);

    const arrived = await receiveAll(target, 13, "13 forwarded messages on the target");
    expect(arrived).toHaveLength(13);
    const byBody = new Map(arrived.map((m) => [m.body, m]));
    for (const original of received) {
      const copy = byBody.get(original.body);
      expect(copy, original.body).toBeDefined();
      expect(copy?.messageAttributes).toEqual(original.messageAttributes);
      expect(copy?.md5OfMessageAttributes).toBe(original.md5OfMessageAttributes);
    }
  });

  it("keeps the message group and deduplication ids on a FIFO target, in group order", async () => {
    const source = await createQueue("fwd-source.fifo", {
      FifoQueue: "true",
      ContentBasedDeduplication: "true",
    });
    const target = await createQueue("fwd-target.fifo", { FifoQueue: "true" });
    for (const [group, body] of [
      ["g1", "a"],
      ["g1", "b"],
      ["g2", "c"],
    ] as const) {
      await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: body, MessageGroupId: group }));
    }
    const received = await receiveAll(source, 3, "3 messages on the FIFO source");
    const forwarder = createSqsMessageForwarder(sqs);
    expect(await forwarder.forward("fwd-target.fifo", received)).toEqual([]);
    // Forwarded again (a retry after a lost answer): the deduplication ids make it a no-op.
    expect(await forwarder.forward("fwd-target.fifo", received)).toEqual([]);

    // fauxqs hands out one message per group per receive: receive and delete until all three came.
    const seen: Message[] = [];
    await waitFor(
      async () => {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: target,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ["All"],
          }),
        );
        for (const m of out.Messages ?? []) {
          seen.push(m);
          await sqs.send(new DeleteMessageCommand({ QueueUrl: target, ReceiptHandle: m.ReceiptHandle! }));
        }
        return seen.length >= 3;
      },
      { timeoutMs: 15_000, intervalMs: 0, description: "3 forwarded messages on the FIFO target" },
    );
    expect(seen.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual(
      expect.arrayContaining([
        ["a", "g1"],
        ["b", "g1"],
        ["c", "g2"],
      ]),
    );
    expect(seen).toHaveLength(3);
    const g1 = seen.filter((m) => m.Attributes?.MessageGroupId === "g1").map((m) => m.Body);
    expect(g1).toEqual(["a", "b"]);
    const originalDedup = new Set(received.map((m) => m.attributes["MessageDeduplicationId"]));
    for (const m of seen) expect(originalDedup.has(m.Attributes?.MessageDeduplicationId)).toBe(true);
  });

  it("throws when the target queue does not exist, so nothing is deleted", async () => {
    const source = await createQueue("fwd-orphan");
    await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: "x" }));
    const received = await queue.receive(source, { maxMessages: 1, waitTimeSec: 1 });
    await expect(createSqsMessageForwarder(sqs).forward("fwd-nowhere", received)).rejects.toThrow();
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: source,
        AttributeNames: ["ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe("1");
  });
});
