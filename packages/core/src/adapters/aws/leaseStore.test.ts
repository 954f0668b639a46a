import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
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

// Error translation only: the conditional heartbeat, claim, create and paginated scan succeed against
// the local DynamoDB in test/integration/leaseStore.test.ts.

describe("createDynamoLeaseStore", () => {
  it("turns a failed heartbeat condition into LeaseLostError", async () => {
    mock.on(UpdateCommand).rejects(conditionFailed());
    const error = await store.heartbeat(lease, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error).toMatchObject({ queueUrl: lease.queueUrl, token: "t", loopId: "L" });
    expect(isRetryable(error)).toBe(false);
  });

  it("turns a failed invocation fence (a later heartbeat of a superseded invocation) into LeaseLostError", async () => {
    mock.on(UpdateCommand).rejects(conditionFailed());
    const error = await store
      .heartbeat(lease, 1, { invocationId: "i", first: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
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

  it("reports a claim that lost the condition race as false", async () => {
    mock.on(UpdateCommand).rejects(conditionFailed());
    expect(await store.claim(lease, "L", "L3", 8)).toBe(false);
  });

  it("reports a create of a token that already exists as false", async () => {
    mock.on(PutCommand).rejects(conditionFailed());
    expect(await store.create({ ...lease, createdAt: 1, startedAt: 1 })).toBe(false);
  });
});
