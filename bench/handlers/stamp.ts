import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { EnvVar, requireEnv } from "@sqs-dispatcher/functions/runtime/environment";
import type { SQSEvent } from "aws-lambda";

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Latency probe: writes when each record reached the handler, read afterwards by the benchmark. */
export async function handler(event: SQSEvent): Promise<void> {
  const startedAt = Date.now();
  const table = requireEnv(EnvVar.ProcessedTable);
  await doc.send(
    new BatchWriteCommand({
      RequestItems: {
        [table]: event.Records.map((r) => ({
          PutRequest: {
            Item: { messageId: r.messageId, startedAt, sentAt: Number(r.attributes.SentTimestamp) },
          },
        })),
      },
    }),
  );
}
