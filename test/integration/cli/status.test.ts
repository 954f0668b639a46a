import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { tierAlarmName } from "@sqs-dispatcher/config";
import { ensureTable, type LocalCloud, PlatformTables, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/cliHarness.js";

let cloud: LocalCloud;
let sqs: SQSClient;
let dynamodb: DynamoDBClient;
let ssm: SSMClient;
const urls: Record<string, string> = {};

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const config = {
    endpoint: cloud.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  sqs = new SQSClient(config);
  dynamodb = new DynamoDBClient(config);
  ssm = new SSMClient(config);
  const doc = DynamoDBDocumentClient.from(dynamodb);
  // The platform's tokens table, as a deploy creates it (waiting until it is ACTIVE).
  await ensureTable(dynamodb, PlatformTables.tokens);
  const create = async (name: string, attributes: Record<string, string> = {}) => {
    urls[name] = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
      .QueueUrl!;
  };
  await create("st-orders-dlq");
  const dlqArn = (
    await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: urls["st-orders-dlq"], AttributeNames: ["QueueArn"] }),
    )
  ).Attributes?.QueueArn;
  await create("st-orders", {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }),
  });
  await create("st-loose");
  for (let i = 0; i < 3; i++)
    await sqs.send(new SendMessageCommand({ QueueUrl: urls["st-orders"], MessageBody: `m${i}` }));
  await sqs.send(new SendMessageCommand({ QueueUrl: urls["st-orders-dlq"], MessageBody: "poison" }));
  const route = await cli(
    cloud.endpoint,
    "routes",
    "set",
    "st-orders",
    "--function",
    "record",
    "--max-loops",
    "2",
  );
  expect(route.code).toBe(0);
  const now = Date.now();
  await doc.send(
    new PutCommand({
      TableName: "tokens",
      Item: {
        queueUrl: urls["st-orders"],
        token: "t-1",
        loopId: "loop-1",
        createdAt: now - 5_000,
        startedAt: now - 5_000,
        lastUsed: now - 1_000,
      },
    }),
  );
  await doc.send(
    new PutCommand({
      TableName: "tokens",
      Item: { queueUrl: urls["st-orders"], token: "t-2", loopId: "loop-2", createdAt: now },
    }),
  );
});

afterAll(async () => {
  for (const client of [sqs, dynamodb, ssm]) client?.destroy();
  await cloud?.stop();
});

describe("dispatcher status", () => {
  it("--json prints { queues } with route, one loop per token, depths and the DLQ", async () => {
    const run = await cli(cloud.endpoint, "status", "--json");
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout);
    expect(Object.keys(parsed)).toEqual(["queues", "capacity"]);
    const table = await cli(cloud.endpoint, "status");
    expect(table.stdout).toContain(
      "\nconcurrency: 2 loops now; at maxLoops 2 loops + 8 handlers = 10 of the account's 1000 (headroom 990)\n",
    );
    // The local Lambda answers GetAccountSettings with the default account concurrency (1,000);
    // st-orders at maxLoops 2 with concurrency 4: 2 loops + 8 handler invocations.
    expect(parsed.capacity).toEqual({
      accountConcurrency: 1000,
      loopsNow: 2,
      loopsAtMax: 2,
      handlersAtMax: 8,
      totalAtMax: 10,
      headroom: 990,
      warning: null,
    });
    const byName = new Map<string, Record<string, unknown>>(
      parsed.queues.map((q: { name: string }) => [q.name, q]),
    );
    // A DLQ is shown under the queue it serves, not as a queue of its own.
    expect([...byName.keys()].sort()).toEqual(["st-loose", "st-orders"]);
    const orders = byName.get("st-orders")!;
    for (const key of ["name", "url", "route", "loops", "visible", "inFlight", "dlq"])
      expect(orders).toHaveProperty(key);
    expect(orders).toMatchObject({
      url: urls["st-orders"],
      route: { queueName: "st-orders", functionName: "record", maxLoops: 2, source: "edit" },
      visible: 3,
      inFlight: 0,
      dlq: { name: "st-orders-dlq", url: urls["st-orders-dlq"], visible: 1 },
    });
    const loops = orders["loops"] as {
      token: string;
      loopId: string;
      lastUsed: number | null;
      heartbeatAgeMs: number;
    }[];
    expect(loops.map((l) => [l.token, l.loopId])).toEqual([
      ["t-1", "loop-1"],
      ["t-2", "loop-2"],
    ]);
    expect(loops[0]!.heartbeatAgeMs).toBeGreaterThanOrEqual(1_000);
    expect(loops[1]!.lastUsed).toBeNull();
    expect(byName.get("st-loose")).toMatchObject({
      url: urls["st-loose"],
      route: null,
      loops: [],
      visible: 0,
      dlq: null,
    });
  });

  it("describes one queue in the same shape, and a human table by default", async () => {
    const one = await cli(cloud.endpoint, "status", "st-orders", "--json");
    expect(one.code).toBe(0);
    const parsed = JSON.parse(one.stdout);
    expect(parsed.queues).toHaveLength(1);
    expect(parsed.queues[0]).toMatchObject({
      name: "st-orders",
      visible: 3,
      loops: [{ token: "t-1" }, { token: "t-2" }],
      state: "active",
      handlerConcurrency: 8,
    });

    const text = await cli(cloud.endpoint, "status", "st-orders");
    expect(text.stdout).toMatch(
      /st-orders\s+record\s+active\s+2 \(1-2\)\s+-\s+8 \(2×4\)\s+3\s+0\s+0\s+st-orders-dlq: 1/,
    );
    expect(text.stdout).toMatch(/loops of st-orders:\nTOKEN\s+LOOP ID/);
    expect(text.stdout).toMatch(/t-2\s+loop-2\s+never/);

    expect(await cli(cloud.endpoint, "status", "st-nothing")).toMatchObject({
      code: 1,
      stderr: "error: queue 'st-nothing' neither exists nor has a route\n",
    });
  });

  it("shows the states of the alarms on each queue", async () => {
    const cloudwatch = new CloudWatchClient({
      endpoint: cloud.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    try {
      // Named as the stage (`clitest`, stage `local`) names its tier alarms: status shows no other.
      const orders = tierAlarmName("clitest", "local", "st-orders", 1);
      const loose = tierAlarmName("clitest", "local", "st-loose", 1);
      for (const [name, queue] of [
        [orders, "st-orders"],
        [loose, "st-loose"],
        [tierAlarmName("clitest", "local-other", "st-orders", 1), "st-orders"],
        ["st-orders-tier-1", "st-orders"],
      ] as const) {
        await cloudwatch.send(
          new PutMetricAlarmCommand({
            AlarmName: name,
            Namespace: "AWS/SQS",
            MetricName: "ApproximateNumberOfMessagesVisible",
            Dimensions: [{ Name: "QueueName", Value: queue }],
            Statistic: "Maximum",
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 1_000,
            ComparisonOperator: "GreaterThanOrEqualToThreshold",
          }),
        );
      }
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: orders, StateValue: "ALARM", StateReason: "test" }),
      );
      const run = await cli(cloud.endpoint, "status", "--json");
      const byName = new Map(
        run.stdout && JSON.parse(run.stdout).queues.map((q: { name: string }) => [q.name, q]),
      );
      expect(byName.get("st-orders")).toMatchObject({ alarms: [{ name: orders, state: "ALARM" }] });
      expect((byName.get("st-orders") as { alarms: unknown[] }).alarms).toHaveLength(1);
      expect(byName.get("st-loose")).toMatchObject({ alarms: [{ name: loose }] });
    } finally {
      cloudwatch.destroy();
    }
  });

  it("shows a queue whose stored route is corrupt as unrouted, and warns naming the parameter", async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: "st-corrupt" }));
    const name = "/clitest/local/routes/st-corrupt";
    await ssm.send(
      new PutParameterCommand({ Name: name, Type: "String", Value: '{"queueName":1}', Overwrite: true }),
    );
    const run = await cli(cloud.endpoint, "status", "--json");
    expect(run.code).toBe(0);
    const corrupt = JSON.parse(run.stdout).queues.find((q: { name: string }) => q.name === "st-corrupt");
    expect(corrupt).toMatchObject({ route: null });
    expect(run.stderr).toContain(name);
    const list = await cli(cloud.endpoint, "routes", "list", "--json");
    expect(list.code).toBe(1);
    expect(JSON.parse(list.stdout).routes.map((r: { queueName: string }) => r.queueName)).toEqual([
      "st-orders",
    ]);
    expect(list.stderr).toMatch(/routes rm/);
    expect((await cli(cloud.endpoint, "routes", "rm", "st-corrupt")).code).toBe(0);
    expect((await cli(cloud.endpoint, "routes", "list")).code).toBe(0);
  });
});
