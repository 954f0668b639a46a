import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { DispatcherError } from "@sqs-dispatcher/config";
import type { SQSRecord } from "aws-lambda";
import { EnvVar, optionalEnv, requireEnv } from "../runtime/environment.js";

/**
 * What a demo or test message asks the example handlers to do, read from a JSON body.
 * Bodies that are not JSON objects carry no instructions and are simply recorded.
 */
export interface DeliveryInstructions {
  /** Sleep this long before recording (drives visibility extension and handler timeouts). */
  sleepMs?: number;
  /** Report this record as failed. */
  fail?: boolean;
  /** Throw: the whole batch fails. */
  crash?: boolean;
  /**
   * Apply `sleepMs`/`fail`/`crash` only while the message's receive count is below this,
   * so a test can have a message misbehave on its first deliveries and succeed later.
   */
  untilReceiveCount?: number;
  /** Also append the messageId to an order log of its message group (FIFO order tests). */
  traceOrder?: boolean;
}

/** Key prefix of the per-queue counter items (`#stats#<queue>`) in the `processed` table. */
export const statsKeyPrefix = "#stats#";
/** Key prefix of the per-group order logs (`#order#<queue>#<group>`) in the `processed` table. */
export const orderKeyPrefix = "#order#";

/** Thrown by the example handlers for a record whose body asks for it (`fail` or `crash`). */
export class RequestedFailureError extends DispatcherError {
  override readonly name = "RequestedFailureError";
  constructor(
    readonly messageId: string,
    readonly kind: "fail" | "crash",
  ) {
    super(`message ${messageId} asked to ${kind}`, { messageIds: [messageId], kind });
  }
}

/** Reads the instructions of a body; anything unparsable means "no instructions". */
export function readInstructions(body: string): DeliveryInstructions {
  if (!body.startsWith("{")) return {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== "object" || parsed === null) return {};
    const p = parsed as Record<string, unknown>;
    return {
      sleepMs: typeof p.sleepMs === "number" && p.sleepMs > 0 ? p.sleepMs : undefined,
      fail: p.fail === true,
      crash: p.crash === true,
      untilReceiveCount: typeof p.untilReceiveCount === "number" ? p.untilReceiveCount : undefined,
      traceOrder: p.traceOrder === true,
    };
  } catch {
    return {};
  }
}

/** The queue name is the last segment of the record's `eventSourceARN`. */
export function queueNameOf(record: SQSRecord): string {
  return record.eventSourceARN.slice(record.eventSourceARN.lastIndexOf(":") + 1);
}

/** The outcome a record's instructions ask for on this delivery. */
export type RecordVerdict = "ok" | "fail" | "crash";

/**
 * Records deliveries in the `processed` table: one item per messageId with a `deliveries`
 * counter, plus one counter item per queue that the live status reads for processed/s
 * (counting items would mean scanning a growing table every second).
 */
export interface DeliveryRecorder {
  /** Sleeps if asked, records the delivery, and says what the record asked for. */
  record(record: SQSRecord): Promise<RecordVerdict>;
  /** Adds a batch's outcome to the per-queue counters. */
  count(queue: string, succeeded: number, failed: number): Promise<void>;
}

/**
 * How long the `processed` table keeps a delivery (its TTL attribute `expiresAt`, epoch seconds):
 * long enough for any test or demo to read it back, short enough that message bodies do not pile up.
 */
export const processedRetainSec = 7 * 86_400;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Builds the recorder over a DocumentClient and the `processed` table name. */
export function createDeliveryRecorder(
  doc: DynamoDBDocumentClient,
  tableName: string,
  functionName = optionalEnv(EnvVar.FunctionName) ?? "unknown",
): DeliveryRecorder {
  return {
    async record(record) {
      const instructions = readInstructions(record.body);
      const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? "1");
      const active =
        instructions.untilReceiveCount === undefined || receiveCount < instructions.untilReceiveCount;
      if (active && instructions.sleepMs) await sleep(instructions.sleepMs);
      const queue = queueNameOf(record);
      const now = Date.now();
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { messageId: record.messageId },
          UpdateExpression:
            "ADD deliveries :one SET #queue = :queue, body = :body, receiveCount = :rc, firstAt = if_not_exists(firstAt, :now), lastAt = :now, handledBy = :fn, expiresAt = :expires",
          ExpressionAttributeNames: { "#queue": "queue" },
          ExpressionAttributeValues: {
            ":one": 1,
            ":queue": queue,
            ":body": record.body,
            ":rc": receiveCount,
            ":now": now,
            // Which deployed function saw it: shows that each route's messages reach only its handler.
            ":fn": functionName,
            ":expires": Math.floor(now / 1000) + processedRetainSec,
          },
        }),
      );
      const group = record.attributes.MessageGroupId;
      if (instructions.traceOrder && group !== undefined) {
        await appendToOrderLog(doc, tableName, record, group, now);
      }
      if (!active) return "ok";
      if (instructions.crash) return "crash";
      if (instructions.fail) return "fail";
      return "ok";
    },
    async count(queue, succeeded, failed) {
      if (succeeded === 0 && failed === 0) return;
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { messageId: `${statsKeyPrefix}${queue}` },
          UpdateExpression: "ADD succeeded :s, failed :f",
          ExpressionAttributeValues: { ":s": succeeded, ":f": failed },
        }),
      );
    },
  };
}

/**
 * Appends a record's messageId to its message group's order log (`#order#<queue>#<group>`), which
 * the FIFO order tests read back as the sequence in which the handler saw the group.
 */
export async function appendToOrderLog(
  doc: DynamoDBDocumentClient,
  tableName: string,
  record: SQSRecord,
  group: string,
  now = Date.now(),
): Promise<void> {
  await doc.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { messageId: `${orderKeyPrefix}${queueNameOf(record)}#${group}` },
      UpdateExpression: "SET seen = list_append(if_not_exists(seen, :empty), :id), expiresAt = :expires",
      ExpressionAttributeValues: {
        ":empty": [],
        ":id": [record.messageId],
        ":expires": Math.floor(now / 1000) + processedRetainSec,
      },
    }),
  );
}

/** The recorder of a deployed example handler: table from PROCESSED_TABLE, client built once per cold start. */
export function deliveryRecorderFromEnv(env: NodeJS.ProcessEnv = process.env): DeliveryRecorder {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createDeliveryRecorder(doc, requireEnv(EnvVar.ProcessedTable, env));
}
