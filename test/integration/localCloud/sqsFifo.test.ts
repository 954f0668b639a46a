import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

/*
 * FIFO receive as AWS SQS does it (docs/local-cloud.md): several consecutive messages of one group
 * in one ReceiveMessage, a group with messages in flight served to nobody, and fauxqs's
 * visibility, receive counts, redrive and dedup kept. fauxqs alone returns one message per group.
 */

let cloud: LocalCloud;
let sqs: SQSClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  sqs = new SQSClient({
    endpoint: cloud.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});

afterAll(async () => {
  sqs?.destroy();
  await cloud?.stop();
});

let queueCounter = 0;
async function fifoQueue(attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `fifo-batch-${++queueCounter}.fifo`,
      Attributes: { FifoQueue: "true", VisibilityTimeout: "30", ...attributes },
    }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: QueueUrl!, AttributeNames: ["QueueArn"] }),
  );
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/** Sends bodies to one group in order (one SendMessageBatch per 10); returns their messageIds. */
async function send(url: string, group: string, bodies: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < bodies.length; i += 10) {
    const chunk = bodies.slice(i, i + 10);
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: chunk.map((body, j) => ({
          Id: String(j),
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: `${group}-${i + j}-${body}`,
        })),
      }),
    );
    expect(out.Failed ?? []).toEqual([]);
    const byId = new Map((out.Successful ?? []).map((s) => [s.Id, s.MessageId!]));
    for (let j = 0; j < chunk.length; j++) ids.push(byId.get(String(j))!);
  }
  return ids;
}

const receive = async (url: string, max: number, extra: { VisibilityTimeout?: number } = {}) =>
  (
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["All"],
        ...extra,
      }),
    )
  ).Messages ?? [];

const deleteAll = async (url: string, messages: readonly Message[]) => {
  const out = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: url,
      Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
    }),
  );
  expect(out.Failed ?? []).toEqual([]);
};

const ids = (messages: readonly Message[]) => messages.map((m) => m.MessageId);
const groups = (messages: readonly Message[]) => messages.map((m) => m.Attributes?.MessageGroupId);

describe("FIFO receive through the local cloud", () => {
  it("returns several messages of one group in one receive, in order, with their system attributes", async () => {
    const { url } = await fifoQueue();
    const a = await send(url, "a", ["a0", "a1", "a2", "a3", "a4"]);

    const batch = await receive(url, 10);
    expect(ids(batch)).toEqual(a);
    expect(batch.map((m) => m.Body)).toEqual(["a0", "a1", "a2", "a3", "a4"]);
    expect(groups(batch)).toEqual(["a", "a", "a", "a", "a"]);
    expect(batch.every((m) => m.Attributes?.ApproximateReceiveCount === "1")).toBe(true);
    const sequence = batch.map((m) => BigInt(m.Attributes!.SequenceNumber!));
    expect(sequence).toEqual([...sequence].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    expect(new Set(sequence).size).toBe(5);
  });

  it("fills a batch from one group first, then from other groups, up to MaxNumberOfMessages", async () => {
    const { url } = await fifoQueue();
    const a = await send(url, "a", ["a0", "a1", "a2", "a3"]);
    const b = await send(url, "b", ["b0", "b1", "b2"]);

    const three = await receive(url, 3);
    expect(ids(three)).toEqual(a.slice(0, 3));

    // Group a has messages in flight: nobody gets a3 until they are deleted; b is served whole.
    const next = await receive(url, 10);
    expect(ids(next)).toEqual(b);
    expect(await receive(url, 10)).toEqual([]);

    await deleteAll(url, three);
    const rest = await receive(url, 10);
    expect(ids(rest)).toEqual([a[3]]);
  });

  it("keeps a group locked until every message of its batch is deleted or visible again", async () => {
    const { url } = await fifoQueue();
    const a = await send(url, "a", ["a0", "a1", "a2", "a3"]);

    const first = await receive(url, 2);
    expect(ids(first)).toEqual(a.slice(0, 2));
    await deleteAll(url, first.slice(0, 1));
    // a1 is still in flight: a2 must wait behind it.
    expect(await receive(url, 10)).toEqual([]);
    await deleteAll(url, first.slice(1));
    expect(ids(await receive(url, 10))).toEqual(a.slice(2));
  });

  it("puts a batch whose visibility ends back in its order, with its receive counts", async () => {
    const { url } = await fifoQueue();
    const a = await send(url, "a", ["a0", "a1", "a2", "a3", "a4"]);

    // Expiry: the whole batch becomes visible in one sweep and must not come back reversed.
    const first = await receive(url, 10, { VisibilityTimeout: 1 });
    expect(ids(first)).toEqual(a);
    const again = await waitFor(
      async () => {
        const got = await receive(url, 10);
        return got.length > 0 ? got : undefined;
      },
      { timeoutMs: 10_000, description: "the batch visible again after its visibility timeout" },
    );
    expect(ids(again)).toEqual(a);
    expect(again.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(["2", "2", "2", "2", "2"]);

    // ChangeMessageVisibility to 0, latest first: each goes back to its place in the group.
    const reversed = [...again].reverse();
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: reversed.map((m, i) => ({
          Id: String(i),
          ReceiptHandle: m.ReceiptHandle!,
          VisibilityTimeout: 0,
        })),
      }),
    );
    expect(changed.Failed ?? []).toEqual([]);
    const third = await receive(url, 10);
    expect(ids(third)).toEqual(a);
    expect(third.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(["3", "3", "3", "3", "3"]);
  });

  it("still moves messages to the dead-letter queue after maxReceiveCount, in order", async () => {
    const dlq = await fifoQueue();
    const { url } = await fifoQueue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    const a = await send(url, "a", ["a0", "a1", "a2"]);

    for (const receiveCount of ["1", "2"]) {
      const batch = await receive(url, 10);
      expect(ids(batch)).toEqual(a);
      expect(batch.every((m) => m.Attributes?.ApproximateReceiveCount === receiveCount)).toBe(true);
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: batch.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
    // The third receive moves all three to the DLQ instead of returning them.
    expect(await receive(url, 10)).toEqual([]);
    const dead = await receive(dlq.url, 10);
    expect(ids(dead)).toEqual(a);
    expect(groups(dead)).toEqual(["a", "a", "a"]);
  });

  it("still deduplicates within the deduplication window", async () => {
    const { url } = await fifoQueue();
    const first = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "x",
        MessageGroupId: "a",
        MessageDeduplicationId: "d",
      }),
    );
    const second = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "x",
        MessageGroupId: "a",
        MessageDeduplicationId: "d",
      }),
    );
    expect(second.MessageId).toBe(first.MessageId);
    expect(ids(await receive(url, 10))).toEqual([first.MessageId]);
  });
});
