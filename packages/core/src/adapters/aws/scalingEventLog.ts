import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { ScalingEventLog } from "../../scaling/ports.js";

export interface DynamoScalingEventLogOptions {
  doc: DynamoDBDocumentClient;
  /** The `scaling-events` table: PK `eventKey` (S); TTL attribute `expiresAt` (N, epoch seconds). */
  tableName: string;
  /**
   * How long a transition is remembered. SNS and Lambda redeliver within minutes;
   * a day is far beyond that and still lets the TTL keep the table small.
   */
  retainSec?: number;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

/**
 * The {@link ScalingEventLog} port over DynamoDB: a conditional put that only the first
 * delivery of a transition wins. A table of its own, so restart's Scan of `tokens`
 * never meets these rows.
 */
export function createDynamoScalingEventLog(options: DynamoScalingEventLogOptions): ScalingEventLog {
  const { doc, tableName } = options;
  const retainSec = options.retainSec ?? 86_400;
  return {
    async claim(eventKey, now) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: { eventKey, claimedAt: now, expiresAt: Math.floor(now / 1000) + retainSec },
            ConditionExpression: "attribute_not_exists(eventKey)",
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async release(eventKey) {
      await doc.send(new DeleteCommand({ TableName: tableName, Key: { eventKey } }));
    },
  };
}
