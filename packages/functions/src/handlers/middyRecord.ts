import middy from "@middy/core";
import sqsPartialBatchFailure from "@middy/sqs-partial-batch-failure";
import type { SQSEvent } from "aws-lambda";
import { deliveryRecorderFromEnv, queueNameOf, RequestedFailureError } from "./deliveryRecorder.js";

const recorder = deliveryRecorderFromEnv();

/**
 * The `record` example on middy: the handler returns `Promise.allSettled` of its records and
 * `@middy/sqs-partial-batch-failure` turns the rejected ones into `batchItemFailures`.
 */
async function recordAll(event: SQSEvent): Promise<PromiseSettledResult<void>[]> {
  const settled = await Promise.allSettled(
    event.Records.map(async (record) => {
      const verdict = await recorder.record(record);
      if (verdict !== "ok") throw new RequestedFailureError(record.messageId, verdict);
    }),
  );
  const first = event.Records[0];
  if (first) {
    const failed = settled.filter((s) => s.status === "rejected").length;
    await recorder.count(queueNameOf(first), event.Records.length - failed, failed);
  }
  return settled;
}

export const handler = middy<SQSEvent>()
  .use(sqsPartialBatchFailure({ logger: () => {} }))
  .handler(recordAll);
