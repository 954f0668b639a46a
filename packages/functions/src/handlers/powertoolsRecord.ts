import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { deliveryRecorderFromEnv, queueNameOf, RequestedFailureError } from "./deliveryRecorder.js";

const recorder = deliveryRecorderFromEnv();
const processor = new BatchProcessor(EventType.SQS);

async function recordHandler(record: SQSRecord): Promise<void> {
  const verdict = await recorder.record(record);
  if (verdict !== "ok") throw new RequestedFailureError(record.messageId, verdict);
}

/**
 * The `record` example on Powertools' `BatchProcessor`, as its documentation writes it for
 * Lambda's SQS event source: a record handler that throws marks that record failed.
 */
export async function handler(event: SQSEvent, context: unknown): Promise<SQSBatchResponse> {
  const response = await processPartialResponse(event, recordHandler, processor, {
    context: context as never,
  });
  const first = event.Records[0];
  if (first) {
    const failed = response.batchItemFailures.length;
    await recorder.count(queueNameOf(first), event.Records.length - failed, failed);
  }
  return response;
}
