/**
 * Contract tests of the AWS adapters (`packages/core/src/adapters/aws/`) against moto, an AWS emulator
 * this project did not write: the call shapes the adapters send must be ones an independent
 * implementation of the AWS APIs accepts and answers as they expect.
 *
 * What moto 5.2.1 cannot check, and where it is covered instead:
 * - SQS message move tasks (`StartMessageMoveTask`, `ListMessageMoveTasks`, `CancelMessageMoveTask`):
 *   moto has none; the DLQ redrive is covered against the local cloud (test/integration/platform/dlq.test.ts).
 * - SQS metrics (`AWS/SQS` in CloudWatch): moto publishes none; the metric reader is checked here on
 *   datapoints put with `PutMetricData`, and the local cloud's sampled SQS metrics cover the rest.
 * - Lambda: moto runs no function without Docker and has no `GetAccountSettings`, so the invoker,
 *   loop starter and account reader are covered against the local Lambda service.
 */
import {
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { deadLetterQueueName, tierAlarmName } from "@sqs-dispatcher/config";
import { LeaseLostError } from "@sqs-dispatcher/core";
import {
  createCloudWatchAlarmReader,
  createCloudWatchMetricReader,
  createDynamoLeaseStore,
  createDynamoRouteStore,
  createSqsDeadLetterQueues,
  createSqsQueueClient,
  createSqsQueueDirectory,
  createSsmRouteStore,
} from "@sqs-dispatcher/core/aws";
import { ensureTable, PlatformTables } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeStoreContract } from "../integration/platform/routeStoreContract.js";
import { type MotoServer, startMoto } from "./support/motoServer.js";
import { type MotoClients, motoClients } from "./support/motoStage.js";

let moto: MotoServer;
let clients: MotoClients;
let namespace = 0;

beforeAll(async () => {
  moto = await startMoto();
  clients = motoClients(moto);
});

afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return moto.queueUrl(name);
}

routeStoreContract("SSM (moto)", async () => {
  const path = `/contract/t${++namespace}/routes/`;
  return {
    store: createSsmRouteStore({ ssm: clients.ssm, path }),
    async plantCorrupt(queueName) {
      const name = `${path}${queueName}`;
      await clients.ssm.send(
        new PutParameterCommand({ Name: name, Type: "String", Value: "{not json", Overwrite: true }),
      );
      return name;
    },
  };
});

routeStoreContract("DynamoDB (moto)", async () => {
  const tableName = `routes-${++namespace}`;
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: "queueName", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "queueName", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  return {
    store: createDynamoRouteStore({ doc: clients.doc, tableName }),
    async plantCorrupt(queueName) {
      await clients.doc.send(new PutCommand({ TableName: tableName, Item: { queueName, batchSize: "ten" } }));
      return `${tableName}/${queueName}`;
    },
  };
});

describe("DynamoDB lease store against moto", () => {
  it("creates, heartbeats, claims and deletes tokens with the conditions the protocol needs", async () => {
    const tableName = `tokens-${++namespace}`;
    await ensureTable(clients.dynamodb, { ...PlatformTables.tokens, name: tableName });
    const leases = createDynamoLeaseStore({ doc: clients.doc, tableName });
    const queueUrl = moto.queueUrl("orders");
    const key = { queueUrl, token: "t1" };

    expect(await leases.create({ ...key, loopId: "a", createdAt: 1 })).toBe(true);
    expect(await leases.create({ ...key, loopId: "b", createdAt: 2 })).toBe(false);
    await leases.heartbeat({ ...key, loopId: "a" }, 10);
    await expect(leases.heartbeat({ ...key, loopId: "other" }, 11)).rejects.toBeInstanceOf(LeaseLostError);

    // A claim on a stale view loses; a claim on what is there wins and leaves lastUsed for the new loop.
    expect(await leases.claim(key, { loopId: "a", lastUsed: 5 }, "b", 20)).toBe(false);
    expect(await leases.claim(key, { loopId: "a", lastUsed: 10 }, "b", 20)).toBe(true);
    expect(await leases.listByQueue(queueUrl)).toEqual([
      expect.objectContaining({ ...key, loopId: "b", lastUsed: 10, startedAt: 20, createdAt: 1 }),
    ]);
    await expect(leases.heartbeat({ ...key, loopId: "a" }, 30)).rejects.toBeInstanceOf(LeaseLostError);

    // The invocation fence: the newest invocation takes the slot, an older one then fails.
    await leases.heartbeat({ ...key, loopId: "b" }, 40, { invocationId: "i1", first: true });
    await leases.heartbeat({ ...key, loopId: "b" }, 41, { invocationId: "i2", first: true });
    await expect(
      leases.heartbeat({ ...key, loopId: "b" }, 42, { invocationId: "i1", first: false }),
    ).rejects.toBeInstanceOf(LeaseLostError);

    await leases.create({ queueUrl, token: "t2", loopId: "c", createdAt: 3 });
    const scanned = [];
    for await (const page of leases.scan()) scanned.push(...page);
    expect(scanned.map((t) => t.token).sort()).toEqual(["t1", "t2"]);
    expect(await leases.delete(key)).toBe(true);
    expect(await leases.delete(key)).toBe(false);
    expect((await leases.listByQueue(queueUrl)).map((t) => t.token)).toEqual(["t2"]);
  });
});

describe("SQS queue client against moto", () => {
  it("receives with attributes, extends and releases visibility, and deletes in batches", async () => {
    const url = await createQueue(`qc-${++namespace}`, { VisibilityTimeout: "5" });
    const queue = createSqsQueueClient(clients.sqs);
    expect(await queue.visibilityTimeoutSec?.(url)).toBe(5);
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"n":1}',
        MessageAttributes: { kind: { DataType: "String", StringValue: "order" } },
      }),
    );
    const [first] = await queue.receive(url, { maxMessages: 10, waitTimeSec: 1 });
    expect(first).toMatchObject({
      body: '{"n":1}',
      attributes: expect.objectContaining({ ApproximateReceiveCount: "1" }),
      messageAttributes: { kind: expect.objectContaining({ stringValue: "order", dataType: "String" }) },
    });
    await queue.changeVisibility(url, [first!.receiptHandle], 0);
    const [again] = await queue.receive(url, { maxMessages: 10, waitTimeSec: 1 });
    expect(again?.messageId).toBe(first!.messageId);
    expect(again?.attributes["ApproximateReceiveCount"]).toBe("2");
    expect(await queue.deleteBatch(url, [again!.receiptHandle])).toEqual({ retryable: [], rejected: [] });
    expect(await queue.receive(url, { maxMessages: 10, waitTimeSec: 0 })).toEqual([]);
  });

  it("reports as rejected the receipt handles SQS refuses per entry, in deletes and visibility changes", async () => {
    const url = await createQueue(`qc-${++namespace}`);
    const queue = createSqsQueueClient(clients.sqs);
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a" }));
    const [message] = await queue.receive(url, { maxMessages: 1, waitTimeSec: 1 });
    expect(await queue.changeVisibility(url, [message!.receiptHandle, "not-a-receipt-handle"], 30)).toEqual({
      retryable: [],
      rejected: ["not-a-receipt-handle"],
    });
    expect(await queue.deleteBatch(url, [message!.receiptHandle, "not-a-receipt-handle"])).toEqual({
      retryable: [],
      rejected: ["not-a-receipt-handle"],
    });
  });
});

describe("SQS queue directory and dead-letter queues against moto", () => {
  it("resolves a queue's DLQ through its redrive policy, peeks without consuming, and purges", async () => {
    const name = `dl-${++namespace}`;
    const dlqUrl = await createQueue(deadLetterQueueName(name));
    await createQueue(name, {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: `arn:aws:sqs:${moto.region}:${moto.accountId}:${deadLetterQueueName(name)}`,
        maxReceiveCount: 3,
      }),
    });
    await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: [0, 1, 2].map((i) => ({ Id: `m${i}`, MessageBody: `dead ${i}` })),
      }),
    );
    const directory = createSqsQueueDirectory({ sqs: clients.sqs });
    expect(await directory.queueUrl(name)).toBe(moto.queueUrl(name));
    expect(await directory.queueUrl("no-such-queue")).toBeUndefined();
    expect(await directory.listQueueUrls()).toEqual(expect.arrayContaining([moto.queueUrl(name), dlqUrl]));

    const deadLetters = createSqsDeadLetterQueues({ sqs: clients.sqs });
    const dlq = await deadLetters.resolve(name);
    expect(dlq).toMatchObject({
      name: deadLetterQueueName(name),
      url: dlqUrl,
      source: { name, url: moto.queueUrl(name) },
    });
    // The DLQ itself resolves to itself (ListDeadLetterSourceQueues names its source).
    expect(await deadLetters.resolve(deadLetterQueueName(name))).toMatchObject({ url: dlqUrl });
    const peeked = await deadLetters.peek(dlq, 10);
    expect(peeked.map((m) => m.body).sort()).toEqual(["dead 0", "dead 1", "dead 2"]);
    // Peeking released what it held: a second peek sees the same messages.
    expect((await deadLetters.peek(dlq, 10)).length).toBe(3);
    expect((await deadLetters.depth(dlq)).visible).toBe(3);
    await deadLetters.purge(dlq);
    expect(await deadLetters.depth(dlq)).toEqual({ visible: 0, inFlight: 0 });
  });
});

describe("CloudWatch readers against moto", () => {
  it("reads only the stage's own tier alarms, not another stage's of the same queue", async () => {
    const queueName = `orders-${++namespace}`;
    const put = (alarmName: string, queue = queueName) =>
      clients.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: alarmName,
          Namespace: "AWS/SQS",
          MetricName: "ApproximateNumberOfMessagesVisible",
          Dimensions: [{ Name: "QueueName", Value: queue }],
          Statistic: "Maximum",
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 10,
          ComparisonOperator: "GreaterThanOrEqualToThreshold",
        }),
      );
    await put(tierAlarmName("shop", "dev", queueName, 1));
    await put(tierAlarmName("shop", "dev", queueName, 2));
    // Another stage whose name starts with `dev`, and another stage altogether, on a queue of the same name.
    await put(tierAlarmName("shop", "dev-alice", queueName, 1));
    await put(tierAlarmName("shop", "prod", queueName, 1));
    // Not a tier alarm though it has the stage's prefix.
    await put(`shop-dev-${queueName}-something-else`);

    const reader = createCloudWatchAlarmReader({
      cloudwatch: clients.cloudwatch,
      alarmNamePrefix: "shop-dev-",
    });
    const names = (await reader.queueAlarms(queueName)).map((a) => a.name).sort();
    expect(names).toEqual([
      tierAlarmName("shop", "dev", queueName, 1),
      tierAlarmName("shop", "dev", queueName, 2),
    ]);
    const all = await reader.queueAlarms();
    expect(all.every((a) => a.name.startsWith("shop-dev-") && !a.name.startsWith("shop-dev-alice-"))).toBe(
      true,
    );
    await clients.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: tierAlarmName("shop", "dev", queueName, 2),
        StateValue: "ALARM",
        StateReason: "contract test",
      }),
    );
    expect(await reader.queueAlarms(queueName)).toContainEqual({
      name: tierAlarmName("shop", "dev", queueName, 2),
      state: "ALARM",
      queueName,
    });
  });

  it("reads metric series with GetMetricData, oldest first", async () => {
    const now = Date.now();
    const minute = Math.floor(now / 60_000) * 60_000;
    const stage = `s${++namespace}`;
    await clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: "SqsDispatcher",
        MetricData: [3, 2, 1].map((ago) => ({
          MetricName: "Processed",
          Dimensions: [{ Name: "Stage", Value: stage }],
          Timestamp: new Date(minute - ago * 60_000),
          Value: ago * 10,
          Unit: "Count",
        })),
      }),
    );
    const reader = createCloudWatchMetricReader({ cloudwatch: clients.cloudwatch });
    const series = await reader.read(
      [
        {
          id: "processed",
          namespace: "SqsDispatcher",
          metricName: "Processed",
          dimensions: [{ name: "Stage", value: stage }],
          stat: "Sum",
          periodSec: 60,
        },
      ],
      minute - 10 * 60_000,
      now + 60_000,
    );
    expect(series.get("processed")).toEqual({
      timestamps: [minute - 3 * 60_000, minute - 2 * 60_000, minute - 60_000],
      values: [30, 20, 10],
    });
  });
});
