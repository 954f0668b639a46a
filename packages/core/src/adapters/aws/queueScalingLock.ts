import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { QueueScalingLock } from "../../scaling/ports.js";

export interface DynamoQueueScalingLockOptions {
  doc: DynamoDBDocumentClient;
  /** The `scaling-events` table: PK `eventKey` (S); TTL attribute `expiresAt` (N, epoch seconds). */
  tableName: string;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

/** The lock's item key: beside the transitions in `scaling-events`, never colliding with one (`<arn>|...`). */
export function queueLockKey(queueUrl: string): string {
  return `lock|${queueUrl}`;
}

/**
 * The {@link QueueScalingLock} port over DynamoDB: a put conditioned on the item being absent or
 * expired (`lockedUntil < now`), and a delete conditioned on the owner. DynamoDB's conditional writes
 * let exactly one of concurrent takers win. The table's TTL removes abandoned locks eventually;
 * `lockedUntil` is what makes one expire on time.
 */
export function createDynamoQueueScalingLock(options: DynamoQueueScalingLockOptions): QueueScalingLock {
  const { doc, tableName } = options;
  return {
    async acquire(queueUrl, owner, now, ttlMs) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              eventKey: queueLockKey(queueUrl),
              owner,
              lockedUntil: now + ttlMs,
              expiresAt: Math.ceil((now + ttlMs) / 1000) + 3_600,
            },
            ConditionExpression: "attribute_not_exists(eventKey) OR lockedUntil < :now",
            ExpressionAttributeValues: { ":now": now },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async release(queueUrl, owner) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { eventKey: queueLockKey(queueUrl) },
            ConditionExpression: "#owner = :owner",
            ExpressionAttributeNames: { "#owner": "owner" },
            ExpressionAttributeValues: { ":owner": owner },
          }),
        );
      } catch (error) {
        // Expired and taken by another holder meanwhile: theirs now, nothing to release.
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}
