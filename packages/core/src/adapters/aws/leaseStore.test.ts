import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { isRetryable, LeaseLostError, TransientError } from "../../errors.js";
import { createDynamoLeaseStore } from "./leaseStore.js";

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const mock = mockClient(doc);
const store = createDynamoLeaseStore({ doc, tableName: "tokens" });
const lease = { queueUrl: "https://sqs.us-east-1.amazonaws.com/1/q", token: "t", loopId: "L" };

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });

afterEach(() => mock.reset());

describe("createDynamoLeaseStore", () => {
  it("heartbeats with the token protocol's conditional update", async () => {
    mock.on(UpdateCommand).resolves({});
    await store.heartbeat(lease, 42);
    expect(mock.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: "tokens",
      Key: { queueUrl: lease.queueUrl, token: "t" },
      UpdateExpression: "SET lastUsed = :now",
      ConditionExpression: "attribute_exists(#token) AND loopId = :loopId",
      ExpressionAttributeNames: { "#token": "token" },
      ExpressionAttributeValues: { ":now": 42, ":loopId": "L" },
    });
  });

  it("turns a failed heartbeat condition into LeaseLostError", async () => {
    mock.on(UpdateCommand).rejects(conditionFailed());
    const error = await store.heartbeat(lease, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error).toMatchObject({ queueUrl: lease.queueUrl, token: "t", loopId: "L" });
    expect(isRetryable(error)).toBe(false);
  });

  it("turns throttling into a retryable TransientError", async () => {
    mock.on(UpdateCommand).rejects(
      Object.assign(new Error("Throughput exceeds the current capacity"), {
        name: "ProvisionedThroughputExceededException",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const error = await store.heartbeat(lease, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(isRetryable(error)).toBe(true);
  });

  it("claims conditioned on the old loopId, and reports a lost claim as false", async () => {
    mock.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store.claim(lease, "L", "L2", 7)).toBe(true);
    expect(await store.claim(lease, "L", "L3", 8)).toBe(false);
    expect(mock.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: "SET loopId = :new, lastUsed = :now, startedAt = :now",
      ConditionExpression: "attribute_exists(#token) AND loopId = :old",
      ExpressionAttributeValues: { ":new": "L2", ":old": "L", ":now": 7 },
    });
  });

  it("creates only a token that does not exist", async () => {
    mock.on(PutCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store.create({ ...lease, createdAt: 1, startedAt: 1 })).toBe(true);
    expect(await store.create({ ...lease, createdAt: 1, startedAt: 1 })).toBe(false);
    expect(mock.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe(
      "attribute_not_exists(#token)",
    );
  });

  it("scans consistently, page by page, following LastEvaluatedKey", async () => {
    mock
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ ...lease, createdAt: 1, lastUsed: 2 }],
        LastEvaluatedKey: { queueUrl: "a", token: "t" },
      })
      .resolvesOnce({ Items: [{ ...lease, token: "u", createdAt: 3 }] });
    const pages = [];
    for await (const page of store.scan()) pages.push(page);
    expect(pages).toEqual([
      [{ ...lease, createdAt: 1, lastUsed: 2 }],
      [{ ...lease, token: "u", createdAt: 3 }],
    ]);
    const calls = mock.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(calls.every((i) => i.ConsistentRead === true)).toBe(true);
    expect(calls[1]?.ExclusiveStartKey).toEqual({ queueUrl: "a", token: "t" });
  });
});
