import {
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CommonFaults, type LocalCloud, startEnvironmentChaos, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "./support/waitFor.js";

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
