import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { QueueDepthReader } from "../../scaling/ports.js";

/** The {@link QueueDepthReader} port over SQS `GetQueueAttributes`. */
export function createSqsQueueDepthReader(sqs: SQSClient): QueueDepthReader {
  return {
    async visibleMessages(queueUrl) {
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      const visible = Number(out.Attributes?.["ApproximateNumberOfMessages"] ?? 0);
      return Number.isFinite(visible) ? visible : 0;
    },
  };
}
