import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";

/** A queue's messages by state, as SQS approximates them. */
export interface QueueDepth {
  /** `ApproximateNumberOfMessages`: receivable now. */
  visible: number;
  /** `ApproximateNumberOfMessagesNotVisible`: received and not yet deleted or released. */
  inFlight: number;
  /** `ApproximateNumberOfMessagesDelayed`: sent with a delay that has not passed. */
  delayed: number;
}

const count = (value: string | undefined) => {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
};

/**
 * Reads a queue's depth with one `GetQueueAttributes`. SQS errors propagate (a missing queue
 * as `QueueDoesNotExist`); a count SQS leaves out reads as 0.
 */
export async function readQueueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  const a = out.Attributes ?? {};
  return {
    visible: count(a.ApproximateNumberOfMessages),
    inFlight: count(a.ApproximateNumberOfMessagesNotVisible),
    delayed: count(a.ApproximateNumberOfMessagesDelayed),
  };
}
