import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  type ScanCommandOutput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  isRetryable,
  isTerminalStoreError,
  LeaseLostError,
  LeaseStoreUnusableError,
  TransientError,
} from "../../errors.js";
import type { GroupStore, LeaseStore, SeenLease } from "../../lease/ports.js";
import { GROUP_LEASE_TOKEN, groupLeaseKey, SHARED_MEMBER_TOKEN } from "../../lease/sharedGroup.js";
import type { InvocationFence, LoopEvent, LoopState, TokenKey, TokenRecord } from "../../lease/token.js";

export interface DynamoLeaseStoreOptions {
  doc: DynamoDBDocumentClient;
  /** The `tokens` table (PK `queueUrl` S, SK `token` S). */
  tableName: string;
  /** Scan page size (`Limit`); default none, so DynamoDB's 1 MB page bound applies. */
  scanPageLimit?: number;
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}

/** Turns retryable SDK errors into TransientError (with cause) so callers need one predicate. */
function translate(error: unknown, context: Record<string, unknown>): unknown {
  if (isRetryable(error) && !(error instanceof TransientError)) {
    const e = error as Error;
    return new TransientError(`tokens table: ${e.name}: ${e.message}`, context, { cause: error });
  }
  return error;
}

/** A tokens-table error that retrying cannot fix, with what to fix. */
function unusable(error: unknown, tableName: string, lease: LoopEvent): LeaseStoreUnusableError {
  const e = error as Error;
  const fix =
    e.name === "ResourceNotFoundException"
      ? `the tokens table '${tableName}' does not exist: redeploy the stack (or check TOKENS_TABLE)`
      : e.name === "ValidationException"
        ? "the loop's token or queue URL is not a valid key of the tokens table (a malformed poller event)"
        : `the poller may not write the tokens table '${tableName}': restore its IAM policy`;
  return new LeaseStoreUnusableError(
    `tokens table: ${e.name}: ${e.message} — ${fix}`,
    { ...lease, tableName },
    {
      cause: error,
    },
  );
}

function toRecord(item: Record<string, unknown>): TokenRecord {
  const record: TokenRecord = {
    queueUrl: String(item["queueUrl"]),
    token: String(item["token"]),
    // A member row has no lease of its own, so no loopId.
    loopId: typeof item["loopId"] === "string" ? item["loopId"] : "",
    createdAt: Number(item["createdAt"] ?? 0),
  };
  if (typeof item["lastUsed"] === "number") record.lastUsed = item["lastUsed"];
  if (typeof item["startedAt"] === "number") record.startedAt = item["startedAt"];
  if (typeof item["invocationId"] === "string") record.invocationId = item["invocationId"];
  if (typeof item["blockedReason"] === "string") record.blockedReason = item["blockedReason"];
  if (typeof item["group"] === "string") record.group = item["group"];
  // The document client reads a string set as a Set.
  const members = item["members"];
  if (members instanceof Set || Array.isArray(members)) record.members = [...members].map(String).sort();
  return record;
}

/**
 * The `tokens` table through the DynamoDB DocumentClient, implementing
 * the token protocol (docs/protocol.md): every write a loop's safety depends on is conditional.
 * Adds the invocation fence (docs/protocol.md) to the heartbeat and claim; a claim is conditioned
 * on the loopId and the lastUsed its claimer saw.
 */
export function createDynamoLeaseStore(options: DynamoLeaseStoreOptions): LeaseStore & GroupStore {
  const { doc, tableName } = options;
  const key = (k: TokenKey) => ({ queueUrl: k.queueUrl, token: k.token });

  /**
   * After a failed condition on a create or claim: whether the row is our own write. The SDK retries
   * a request whose reply was lost (a timeout, a reset), and the retry then fails the condition
   * that the first attempt's landed write changed; our loopId (unique) and time say it landed.
   */
  async function rowIsOurs(k: TokenKey, ours: { loopId: string; startedAt?: number; createdAt?: number }) {
    try {
      const out = await doc.send(new GetCommand({ TableName: tableName, Key: key(k), ConsistentRead: true }));
      const item = out?.Item;
      if (item === undefined || item["loopId"] !== ours.loopId) return false;
      if (ours.startedAt !== undefined && item["startedAt"] !== ours.startedAt) return false;
      return ours.createdAt === undefined || item["createdAt"] === ours.createdAt;
    } catch (error) {
      throw translate(error, { ...k, loopId: ours.loopId });
    }
  }

  return {
    async heartbeat(lease: LoopEvent, now: number, invocation?: InvocationFence, state?: LoopState) {
      const held = "attribute_exists(#token) AND loopId = :loopId";
      const sets = ["lastUsed = :now"];
      const values: Record<string, unknown> = { ":now": now, ":loopId": lease.loopId };
      let condition = held;
      if (invocation !== undefined) {
        // The invocation fence (docs/protocol.md): the first heartbeat takes the slot,
        // later ones hold only while the slot is still theirs.
        sets.push("invocationId = :inv");
        values[":inv"] = invocation.invocationId;
        if (!invocation.first) condition = `${held} AND invocationId = :inv`;
      }
      let remove = "";
      if (state?.blockedReason !== undefined) {
        sets.push("blockedReason = :blocked");
        values[":blocked"] = state.blockedReason;
      } else if (state) {
        remove = " REMOVE blockedReason";
      }
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(lease),
            UpdateExpression: `SET ${sets.join(", ")}${remove}`,
            ConditionExpression: condition,
            ExpressionAttributeValues: values,
            ExpressionAttributeNames: { "#token": "token" },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) {
          throw new LeaseLostError(lease.queueUrl, lease.token, lease.loopId, { cause: error });
        }
        if (isTerminalStoreError(error)) throw unusable(error, tableName, lease);
        throw translate(error, { ...lease });
      }
    },

    async create(token: TokenRecord) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...token },
            ConditionExpression: "attribute_not_exists(#token)",
            ExpressionAttributeNames: { "#token": "token" },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error))
          return rowIsOurs(token, { loopId: token.loopId, createdAt: token.createdAt });
        throw translate(error, { queueUrl: token.queueUrl, token: token.token });
      }
    },

    async claim(k: TokenKey, seen: SeenLease | string, newLoopId: string, now: number) {
      const expected = typeof seen === "string" ? { loopId: seen } : seen;
      // Unchanged lastUsed: no heartbeat since the claimer's read (KCL's lease-counter check).
      const heartbeatCondition = !("lastUsed" in expected)
        ? ""
        : expected.lastUsed === undefined
          ? " AND attribute_not_exists(lastUsed)"
          : " AND lastUsed = :seenLastUsed";
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(k),
            // lastUsed is left alone: the token counts as starting until the new loop heartbeats.
            // The new loop's invocations start with an empty slot (the invocation fence).
            UpdateExpression: "SET loopId = :new, startedAt = :now REMOVE invocationId",
            ConditionExpression: `attribute_exists(#token) AND loopId = :old${heartbeatCondition}`,
            ExpressionAttributeNames: { "#token": "token" },
            ExpressionAttributeValues: {
              ":new": newLoopId,
              ":old": expected.loopId,
              ":now": now,
              ...("lastUsed" in expected && expected.lastUsed !== undefined
                ? { ":seenLastUsed": expected.lastUsed }
                : {}),
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return rowIsOurs(k, { loopId: newLoopId, startedAt: now });
        throw translate(error, { ...k, loopId: expected.loopId });
      }
    },

    async delete(k: TokenKey) {
      try {
        const out = await doc.send(
          new DeleteCommand({ TableName: tableName, Key: key(k), ReturnValues: "ALL_OLD" }),
        );
        return out.Attributes !== undefined;
      } catch (error) {
        throw translate(error, { ...k });
      }
    },

    async listByQueue(queueUrl: string) {
      const records: TokenRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      try {
        do {
          const out = await doc.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: "queueUrl = :q",
              ExpressionAttributeValues: { ":q": queueUrl },
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
            }),
          );
          for (const item of out.Items ?? []) records.push(toRecord(item));
          startKey = out.LastEvaluatedKey;
        } while (startKey);
      } catch (error) {
        throw translate(error, { queueUrl });
      }
      return records;
    },

    async *scan() {
      let startKey: Record<string, unknown> | undefined;
      do {
        let out: ScanCommandOutput;
        try {
          out = await doc.send(
            new ScanCommand({
              TableName: tableName,
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
              ...(options.scanPageLimit !== undefined ? { Limit: options.scanPageLimit } : {}),
            }),
          );
        } catch (error) {
          throw translate(error, { tableName });
        }
        yield (out.Items ?? []).map(toRecord);
        startKey = out.LastEvaluatedKey;
      } while (startKey);
    },

    async addMember(queueUrl: string, group: string, now: number) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: { queueUrl, token: SHARED_MEMBER_TOKEN, group, createdAt: now },
            ConditionExpression: "attribute_not_exists(#token)",
            ExpressionAttributeNames: { "#token": "token" },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw translate(error, { queueUrl, group });
      }
    },

    async removeMember(queueUrl: string, group: string) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { queueUrl, token: SHARED_MEMBER_TOKEN },
            ConditionExpression: "#group = :group",
            ExpressionAttributeNames: { "#group": "group" },
            ExpressionAttributeValues: { ":group": group },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw translate(error, { queueUrl, group });
      }
    },

    async createGroup(group: string, loopId: string, members: readonly string[], now: number) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...groupLeaseKey(group),
              loopId,
              createdAt: now,
              startedAt: now,
              // DynamoDB refuses an empty set: a group without members has no attribute.
              ...(members.length > 0 ? { members: new Set(members) } : {}),
            },
            ConditionExpression: "attribute_not_exists(#token)",
            ExpressionAttributeNames: { "#token": "token" },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw translate(error, { group });
      }
    },

    async updateMembers(group: string, add: readonly string[], remove: readonly string[]) {
      const clauses: string[] = [];
      const values: Record<string, unknown> = {};
      if (add.length > 0) {
        clauses.push("ADD members :add");
        values[":add"] = new Set(add);
      }
      if (remove.length > 0) {
        clauses.push("DELETE members :remove");
        values[":remove"] = new Set(remove);
      }
      if (clauses.length === 0) return true;
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: groupLeaseKey(group),
            UpdateExpression: clauses.join(" "),
            ConditionExpression: "attribute_exists(#token)",
            ExpressionAttributeNames: { "#token": "token" },
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw translate(error, { group });
      }
    },

    async deleteEmptyGroup(group: string) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: groupLeaseKey(group),
            // DynamoDB removes a set whose last element was deleted: no attribute means no member.
            ConditionExpression: "attribute_exists(#token) AND attribute_not_exists(members)",
            ExpressionAttributeNames: { "#token": "token" },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw translate(error, { group });
      }
    },

    async readGroup(group: string) {
      try {
        const out = await doc.send(
          new GetCommand({ TableName: tableName, Key: groupLeaseKey(group), ConsistentRead: true }),
        );
        return out.Item && out.Item["token"] === GROUP_LEASE_TOKEN ? toRecord(out.Item) : undefined;
      } catch (error) {
        if (isTerminalStoreError(error))
          throw unusable(error, tableName, { ...groupLeaseKey(group), loopId: "" });
        throw translate(error, { group });
      }
    },
  };
}
