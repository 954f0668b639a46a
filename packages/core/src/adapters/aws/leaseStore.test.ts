import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import {
  isRetryable,
  isTerminalStoreError,
  LeaseLostError,
  LeaseStoreUnusableError,
  TransientError,
} from "../../errors.js";
import { createDynamoLeaseStore } from "./leaseStore.js";

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const mock = mockClient(doc);
const store = createDynamoLeaseStore({ doc, tableName: "tokens" });
const lease = { queueUrl: "https://sqs.us-east-1.amazonaws.com/1/q", token: "t", loopId: "L" };

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });

afterEach(() => mock.reset());

// Error translation only: the conditional heartbeat, claim, create and paginated scan succeed against
// the local DynamoDB in test/integration/platform/leaseStore.test.ts.

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

describe("createDynamoLeaseStore: errors no retry can fix", () => {
  const sdkError = (name: string, message: string) =>
    Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: 400 } });

  it.each([
    [
      "ValidationException",
      "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
      "is not a valid key of the tokens table",
    ],
    ["AccessDeniedException", "not authorized to perform: dynamodb:UpdateItem", "restore its IAM policy"],
    ["ResourceNotFoundException", "Requested resource not found", "the tokens table 'tokens' does not exist"],
  ])("turns %s from a heartbeat into a terminal LeaseStoreUnusableError that says what to fix", async (name, message, fix) => {
    mock.on(UpdateCommand).rejects(sdkError(name, message));
    const error = await store.heartbeat(lease, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseStoreUnusableError);
    expect((error as Error).message).toContain(fix);
    expect(isTerminalStoreError(error)).toBe(true);
    expect(isRetryable(error)).toBe(false);
  });

  it("keeps throttling, lost leases and unknown errors out of the terminal class", () => {
    expect(isTerminalStoreError(sdkError("ThrottlingException", "slow down"))).toBe(false);
    expect(isTerminalStoreError(new TransientError("x"))).toBe(false);
    expect(isTerminalStoreError(new LeaseLostError("q", "t", "l"))).toBe(false);
    expect(isTerminalStoreError(new Error("boom"))).toBe(false);
    expect(isTerminalStoreError(sdkError("AccessDeniedException", "raw, untranslated"))).toBe(true);
  });

  describe("a write that landed but whose reply was lost (the SDK's retry then fails the condition)", () => {
    const retriedConditionFailure = () =>
      new ConditionalCheckFailedException({
        message: "The conditional request failed",
        $metadata: { attempts: 2 },
      });

    it("reads a claim's row (consistently) and reports it won when the row carries our loopId and startedAt", async () => {
      mock.on(UpdateCommand).rejects(retriedConditionFailure());
      mock.on(GetCommand).resolves({ Item: { ...lease, loopId: "L3", startedAt: 8, createdAt: 1 } });
      expect(await store.claim(lease, "L", "L3", 8)).toBe(true);
      expect(mock.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
        Key: { queueUrl: lease.queueUrl, token: "t" },
        ConsistentRead: true,
      });
    });

    it("still reports a claim lost to another claimer as false", async () => {
      mock.on(UpdateCommand).rejects(retriedConditionFailure());
      mock.on(GetCommand).resolves({ Item: { ...lease, loopId: "other", startedAt: 8, createdAt: 1 } });
      expect(await store.claim(lease, "L", "L3", 8)).toBe(false);
    });

    it("reads a create's row and reports it created when the row is ours", async () => {
      mock.on(PutCommand).rejects(retriedConditionFailure());
      const token = { ...lease, loopId: "L9", createdAt: 5, startedAt: 5 };
      mock.on(GetCommand).resolves({ Item: { ...token } });
      expect(await store.create(token)).toBe(true);
      mock.on(GetCommand).resolves({ Item: { ...token, loopId: "someone-else" } });
      expect(await store.create(token)).toBe(false);
    });
  });
});
