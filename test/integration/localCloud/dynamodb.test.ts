import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AttributeValue,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

const clientConfig = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});

const tokensTable = (name: string) =>
  new CreateTableCommand({
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "queueUrl", AttributeType: "S" },
      { AttributeName: "token", AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "queueUrl", KeyType: "HASH" },
      { AttributeName: "token", KeyType: "RANGE" },
    ],
  });

/** Creates a table and polls until it is ACTIVE: as on AWS, a CREATING table refuses item operations. */
async function createActiveTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(tokensTable(name));
  await waitFor(
    async () => {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      if (Table?.TableStatus !== "ACTIVE") throw new Error(`table ${name} is still ${Table?.TableStatus}`);
      return true;
    },
    { timeoutMs: 10_000, intervalMs: 20, description: `table ${name} to be ACTIVE` },
  );
}

let cloud: LocalCloud;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  dynamodb = new DynamoDBClient(clientConfig(cloud.endpoint));
  await createActiveTable(dynamodb, "tokens");
});

afterAll(async () => {
  dynamodb?.destroy();
  await cloud?.stop();
});

describe("DynamoDB through the edge", () => {
  it("creates an active table named with the cloud's region and account", async () => {
    const { TableNames } = await dynamodb.send(new ListTablesCommand({}));
    expect(TableNames).toContain("tokens");
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: "tokens" }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.TableArn).toBe(`arn:aws:dynamodb:us-east-1:${cloud.accountId}:table/tokens`);
  });

  it("puts and reads an item", async () => {
    const item = { queueUrl: { S: "q1" }, token: { S: "t1" }, loopId: { S: "loop-a" }, lastUsed: { N: "1" } };
    await dynamodb.send(new PutItemCommand({ TableName: "tokens", Item: item }));
    const { Item } = await dynamodb.send(
      new GetItemCommand({
        TableName: "tokens",
        Key: { queueUrl: { S: "q1" }, token: { S: "t1" } },
        ConsistentRead: true,
      }),
    );
    expect(Item).toEqual(item);
  });

  it("fails a conditional update with ConditionalCheckFailedException and applies a matching one", async () => {
    const key = { queueUrl: { S: "q2" }, token: { S: "t1" } };
    await dynamodb.send(
      new PutItemCommand({ TableName: "tokens", Item: { ...key, loopId: { S: "owner" } } }),
    );
    const heartbeat = (loopId: string) =>
      dynamodb.send(
        new UpdateItemCommand({
          TableName: "tokens",
          Key: key,
          UpdateExpression: "SET lastUsed = :now",
          ConditionExpression: "attribute_exists(#token) AND loopId = :loopId",
          ExpressionAttributeNames: { "#token": "token" },
          ExpressionAttributeValues: { ":now": { N: "42" }, ":loopId": { S: loopId } },
          ReturnValues: "ALL_NEW",
        }),
      );
    await expect(heartbeat("intruder")).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
    const ok = await heartbeat("owner");
    expect(ok.Attributes?.lastUsed).toEqual({ N: "42" });
  });

  it("pages a scan with Limit and LastEvaluatedKey, returning every item once", async () => {
    await createActiveTable(dynamodb, "paged");
    const expected = Array.from({ length: 25 }, (_, i) => `t${String(i).padStart(2, "0")}`);
    for (const token of expected) {
      await dynamodb.send(
        new PutItemCommand({ TableName: "paged", Item: { queueUrl: { S: "q" }, token: { S: token } } }),
      );
    }
    const seen: string[] = [];
    let pages = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamodb.send(
        new ScanCommand({ TableName: "paged", Limit: 10, ExclusiveStartKey: startKey, ConsistentRead: true }),
      );
      pages += 1;
      seen.push(...(page.Items ?? []).map((item) => item.token?.S ?? ""));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.sort()).toEqual(expected);
  });

  it("answers a missing table with ResourceNotFoundException", async () => {
    await expect(dynamodb.send(new ScanCommand({ TableName: "nope" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });
});

it("keeps tables and items across restarts when given a data folder", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "dynamodb-data-"));
  try {
    const first = await startLocalCloud({ port: 0, dataDir });
    const client = new DynamoDBClient(clientConfig(first.endpoint));
    await createActiveTable(client, "kept");
    await client.send(
      new PutItemCommand({
        TableName: "kept",
        Item: { queueUrl: { S: "q" }, token: { S: "t" }, n: { N: "7" } },
      }),
    );
    client.destroy();
    await first.stop();

    // The same folder again: only possible if stop() released the database's lock.
    const second = await startLocalCloud({ port: 0, dataDir });
    const again = new DynamoDBClient(clientConfig(second.endpoint));
    try {
      const { Item } = await again.send(
        new GetItemCommand({ TableName: "kept", Key: { queueUrl: { S: "q" }, token: { S: "t" } } }),
      );
      expect(Item?.n).toEqual({ N: "7" });
    } finally {
      again.destroy();
      await second.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
