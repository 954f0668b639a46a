import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { deliveryRecorderFromEnv, queueNameOf, RequestedFailureError } from "./deliveryRecorder.js";

const recorder = deliveryRecorderFromEnv();

/**
 * Example SQS handler, written exactly as for Lambda's SQS event source with
 * `ReportBatchItemFailures`: records every delivery in the `processed` table.
 * A body `{"fail": true}` is reported in `batchItemFailures`, `{"crash": true}` fails the
 * whole batch, `{"sleepMs": n}` sleeps first. On a FIFO queue, records of a message group
 * that follow a failed one are not processed and are reported failed, so the group keeps its order.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: string[] = [];
  const failedGroups = new Set<string>();
  for (const record of event.Records) {
    const group = record.attributes.MessageGroupId;
    if (group !== undefined && failedGroups.has(group)) {
      failures.push(record.messageId);
      continue;
    }
    const verdict = await recorder.record(record);
    if (verdict === "crash") throw new RequestedFailureError(record.messageId, "crash");
    if (verdict === "fail") {
      failures.push(record.messageId);
      if (group !== undefined) failedGroups.add(group);
    }
  }
  const first = event.Records[0];
  if (first)
    await recorder.count(queueNameOf(first), event.Records.length - failures.length, failures.length);
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
