import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CommonFaults, type LocalCloud, startEnvironmentChaos, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

let cloud: LocalCloud;
const config = () => ({
  endpoint: cloud.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  // One attempt: the injected error must reach the test as the SDK saw it.
  maxAttempts: 1,
});

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  await cloud.lambda.register({
    name: "echo",
    handler: "test/fixtures/functions/basic.echo",
    timeoutSec: 5,
    memoryMb: 128,
  });
  await cloud.lambda.register({
    name: "dynamoCaller",
    handler: "test/fixtures/functions/dynamoCaller.handler",
    timeoutSec: 5,
    memoryMb: 128,
  });
  await cloud.lambda.register({
    name: "otherCaller",
    handler: "test/fixtures/functions/dynamoCaller.handler",
    timeoutSec: 5,
    memoryMb: 128,
    // Session credentials are Lambda's reserved variables: a function cannot pass as another.
    environment: { AWS_SESSION_TOKEN: "local-lambda:dynamoCaller" },
  });
});
afterAll(async () => {
  await cloud?.stop();
});

async function errorOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

describe("fault injection at the edge", () => {
  it("answers the chosen operations with AWS's own errors, and only those", async () => {
    const dynamodb = new DynamoDBClient(config());
    const lambda = new LambdaClient(config());
    const sqs = new SQSClient(config());
    await dynamodb.send(
      new CreateTableCommand({
        TableName: "faulty",
        KeySchema: [{ AttributeName: "k", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "k", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "faulty" }));
    cloud.faults.set([
      CommonFaults.dynamoThrottle(1),
      CommonFaults.lambdaThrottle(1),
      CommonFaults.sqsReceive500(1),
    ]);

    const update = new UpdateItemCommand({
      TableName: "faulty",
      Key: { k: { S: "a" } },
      UpdateExpression: "SET v = :v",
      ExpressionAttributeValues: { ":v": { N: "1" } },
    });
    const throttled = await errorOf(dynamodb.send(update));
    expect(throttled.name).toBe("ProvisionedThroughputExceededException");
    // Another operation of the same service goes through.
    await waitFor(
      async () => {
        try {
          await dynamodb.send(new PutItemCommand({ TableName: "faulty", Item: { k: { S: "b" } } }));
          return true;
        } catch {
          return false; // the table may still be CREATING for a moment
        }
      },
      { timeoutMs: 10_000, description: "PutItem to go through" },
    );

    const invoke = await errorOf(lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: "{}" })));
    expect(invoke.name).toBe("TooManyRequestsException");
    expect(invoke.$metadata?.httpStatusCode).toBe(429);

    const receive = await errorOf(sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 })));
    expect(receive.$metadata?.httpStatusCode).toBe(500);
    expect(receive.name).toMatch(/InternalError/);

    cloud.faults.set([]);
    await dynamodb.send(update);
    const ok = await lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: "{}" }));
    expect(ok.FunctionError).toBeUndefined();
    expect(cloud.requests.snapshot()["dynamodb:UpdateItem"]).toBe(2);
    dynamodb.destroy();
    lambda.destroy();
    sqs.destroy();
  });

  it("kills execution environments at random", async () => {
    const lambda = new LambdaClient(config());
    await lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: "{}" }));
    expect(cloud.lambda.stats("echo").environmentsAlive).toBeGreaterThan(0);
    const chaos = startEnvironmentChaos(cloud.lambda, {
      functionNames: ["echo"],
      everyMs: 20,
      probability: 1,
    });
    try {
      await waitFor(() => chaos.kills > 0 && cloud.lambda.stats("echo").environmentsAlive === 0, {
        timeoutMs: 10_000,
        description: "the echo environment to be killed",
      });
    } finally {
      chaos.stop();
    }
    lambda.destroy();
  });
});

/** Creates a table keyed by `k` and waits until it takes writes. */
async function createTable(dynamodb: DynamoDBClient, name: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: "k", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "k", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  await waitFor(
    async () =>
      (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus === "ACTIVE",
    { timeoutMs: 10_000, description: `table ${name} to be ACTIVE` },
  );
}

async function invokeJson(
  lambda: LambdaClient,
  name: string,
  event: object,
): Promise<Record<string, unknown>> {
  const result = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(event) }));
  const text = new TextDecoder().decode(result.Payload);
  if (result.FunctionError) throw new Error(`${name} failed: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

describe("delays and callers", () => {
  it("holds a delayed request, then hands it to the service untouched", async () => {
    const dynamodb = new DynamoDBClient(config());
    await createTable(dynamodb, "late");
    // Big enough to arrive in several chunks: the hold must not read (or lose) any of it.
    const payload = "x".repeat(200_000);
    cloud.faults.set([{ service: "dynamodb", operation: "PutItem", rate: 1, delayMs: 1_500 }]);
    try {
      const put = dynamodb.send(
        new PutItemCommand({ TableName: "late", Item: { k: { S: "late" }, payload: { S: payload } } }),
      );
      await waitFor(() => cloud.faults.holding() === 1, {
        timeoutMs: 5_000,
        description: "the PutItem held",
      });
      const get = new GetItemCommand({ TableName: "late", Key: { k: { S: "late" } }, ConsistentRead: true });
      // GetItem is not held: the table answers, without the item the held request would write.
      expect((await dynamodb.send(get)).Item).toBeUndefined();
      await put;
      expect(cloud.faults.holding()).toBe(0);
      expect((await dynamodb.send(get)).Item?.["payload"]?.S).toBe(payload);
      expect(cloud.faults.counts()["dynamodb:PutItem"]).toEqual({ seen: 1, injected: 1, delayed: 1 });
    } finally {
      cloud.faults.set([]);
      dynamodb.destroy();
    }
  });

  it("scopes a rule to the function the request comes from, named by its session credentials", async () => {
    const dynamodb = new DynamoDBClient(config());
    const lambda = new LambdaClient(config());
    await createTable(dynamodb, "callers");
    const event = { table: "callers", key: "a" };
    const ownWrite = new UpdateItemCommand({
      TableName: "callers",
      Key: { k: { S: "a" } },
      UpdateExpression: "ADD writes :one",
      ExpressionAttributeValues: { ":one": { N: "1" } },
    });
    const throttled = { status: 400, type: "ProvisionedThroughputExceededException" };
    try {
      cloud.faults.set([
        { service: "dynamodb", operation: "UpdateItem", rate: 1, error: throttled, caller: "dynamoCaller" },
      ]);
      expect(await invokeJson(lambda, "dynamoCaller", event)).toEqual({
        outcome: "ProvisionedThroughputExceededException",
      });
      // The same call from the test (no function) and from another function goes through.
      await dynamodb.send(ownWrite);
      expect(await invokeJson(lambda, "otherCaller", event)).toEqual({ outcome: "ok" });

      cloud.faults.set([
        { service: "dynamodb", operation: "UpdateItem", rate: 1, error: throttled, caller: "otherCaller" },
      ]);
      expect((await invokeJson(lambda, "otherCaller", event))["outcome"]).toBe(
        "ProvisionedThroughputExceededException",
      );
      expect((await invokeJson(lambda, "dynamoCaller", event))["outcome"]).toBe("ok");
      await dynamodb.send(ownWrite);
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: "callers", Key: { k: { S: "a" } }, ConsistentRead: true }),
      );
      // ownWrite twice, otherCaller once, dynamoCaller once: the two throttled writes never reached the table.
      expect(Item?.["writes"]?.N).toBe("4");
    } finally {
      cloud.faults.set([]);
      dynamodb.destroy();
      lambda.destroy();
    }
  });
});
