import type { LambdaClient } from "@aws-sdk/client-lambda";
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { discardMetrics, dispatchBatch, silentLogger } from "@sqs-dispatcher/core";
import { createLambdaFunctionInvoker, createSqsQueueClient } from "@sqs-dispatcher/core/aws";
import { createLocalClients, type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let cloud: LocalCloud;
let sqs: SQSClient;
let lambda: LambdaClient;
let n = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const clients = createLocalClients({ endpoint: cloud.endpoint, region: cloud.region });
  sqs = clients.sqs;
  lambda = clients.lambda;
  await cloud.lambda.register({
    name: "noop",
    handler: "packages/functions/src/handlers/noop.handler",
    timeoutSec: 5,
    memoryMb: 128,
  });
});

afterAll(async () => {
  sqs?.destroy();
  lambda?.destroy();
  await cloud?.stop();
});

async function queueWithMessage(fifo = false): Promise<string> {
  const name = `rh-${++n}${fifo ? ".fifo" : ""}`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: fifo ? { FifoQueue: "true", ContentBasedDeduplication: "true" } : {},
    }),
  );
  await sqs.send(
    new SendMessageCommand({ QueueUrl, MessageBody: `m${n}`, ...(fifo ? { MessageGroupId: "g" } : {}) }),
  );
  return QueueUrl!;
}

async function receiveOne(queueUrl: string): Promise<string> {
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }));
  const handle = out.Messages?.[0]?.ReceiptHandle;
  if (!handle) throw new Error(`no message received from ${queueUrl}`);
  return handle;
}

/** A handle of an older receive: the message was made visible and received again since. */
async function staleAndFreshHandles(queueUrl: string): Promise<{ stale: string; fresh: string }> {
  const stale = await receiveOne(queueUrl);
  await sqs.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: stale, VisibilityTimeout: 0 }),
  );
  return { stale, fresh: await receiveOne(queueUrl) };
}

async function depth(queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(out.Attributes?.["ApproximateNumberOfMessages"]) +
    Number(out.Attributes?.["ApproximateNumberOfMessagesNotVisible"])
  );
}

describe("the local SQS judges receipt handles as AWS does", () => {
  it("refuses a handle it never issued: ReceiptHandleIsInvalid, per entry in batches", async () => {
    const url = await queueWithMessage();
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "not-a-handle" })),
    ).rejects.toMatchObject({ name: "ReceiptHandleIsInvalid" });
    await expect(
      sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: "nope", VisibilityTimeout: 5 }),
      ),
    ).rejects.toMatchObject({ name: "ReceiptHandleIsInvalid" });

    const handle = await receiveOne(url);
    const change = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "good", ReceiptHandle: handle, VisibilityTimeout: 60 },
          { Id: "bad", ReceiptHandle: "nope", VisibilityTimeout: 60 },
        ],
      }),
    );
    expect(change.Successful?.map((e) => e.Id)).toEqual(["good"]);
    expect(change.Failed).toEqual([
      expect.objectContaining({ Id: "bad", Code: "ReceiptHandleIsInvalid", SenderFault: true }),
    ]);

    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "bad", ReceiptHandle: "nope" },
          { Id: "good", ReceiptHandle: handle },
        ],
      }),
    );
    expect(deleted.Successful?.map((e) => e.Id)).toEqual(["good"]);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: "bad", Code: "ReceiptHandleIsInvalid" })]);
    expect(await depth(url)).toBe(0);

    // Another queue's handle is not this queue's.
    const other = await queueWithMessage();
    const otherHandle = await receiveOne(other);
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: otherHandle })),
    ).rejects.toMatchObject({ name: "ReceiptHandleIsInvalid" });
  });

  it("accepts an older receive's handle on a standard queue without deleting the message received again", async () => {
    const url = await queueWithMessage();
    const { stale, fresh } = await staleAndFreshHandles(url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: stale }));
    expect(await depth(url)).toBe(1);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: fresh }));
    expect(await depth(url)).toBe(0);
    // Deleting a deleted message succeeds.
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: fresh }));
  });

  it("refuses an older receive's handle on a FIFO queue: the receipt handle has expired", async () => {
    const url = await queueWithMessage(true);
    const { stale, fresh } = await staleAndFreshHandles(url);
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: stale })),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringContaining("has expired"),
    });
    const batch = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "old", ReceiptHandle: stale }] }),
    );
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: "old", Code: "InvalidParameterValue" })]);
    expect(await depth(url)).toBe(1);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: fresh }));
    expect(await depth(url)).toBe(0);
  });

  it("refuses a visibility change of a deleted message, and ignores one of an expired handle", async () => {
    const url = await queueWithMessage();
    const { stale, fresh } = await staleAndFreshHandles(url);
    // The stale handle's visibility is over: AWS answers success and changes nothing.
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: stale, VisibilityTimeout: 0 }),
    );
    expect(
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }))).Messages ?? [],
    ).toEqual([]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: fresh }));
    await expect(
      sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: fresh, VisibilityTimeout: 5 }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringContaining(
        "Message does not exist or is not available for visibility timeout change",
      ),
    });
  });

  it("a dispatched message whose delete fails per entry counts as undeleted, not succeeded", async () => {
    const url = await queueWithMessage(true);
    const queue = createSqsQueueClient(sqs);
    const [message] = await queue.receive(url, { maxMessages: 1, waitTimeSec: 5 });
    // The message comes back and is received again: the batch's handle is now an older receive's.
    await queue.changeVisibility(url, [message!.receiptHandle], 0);
    const [again] = await queue.receive(url, { maxMessages: 1, waitTimeSec: 5 });
    expect(again?.messageId).toBe(message!.messageId);

    const outcome = await dispatchBatch(
      {
        invoker: createLambdaFunctionInvoker(lambda),
        queue,
        clock: { sleep: async () => {}, monotonic: () => performance.now() },
        retry: { baseMs: 1, maxMs: 1, random: () => 0 },
        logger: silentLogger,
        metrics: discardMetrics,
        region: cloud.region,
        mayStartInvoke: () => true,
        observer: { refused() {}, waiting() {}, ran() {} },
      },
      url,
      url.split("/").at(-1)!,
      "noop",
      [message!],
      true,
    );
    expect(outcome).toMatchObject({ succeeded: 0, undeleted: 1 });
    expect(await depth(url)).toBe(1);
  });
});
