/**
 * Remembers which alarm transitions were already acted on, so that a duplicate
 * delivery of the same notification scales once. Kept out of the `tokens` table
 * so restart's Scan never sees it (DynamoDB table `scaling-events`, PK `eventKey`).
 */
export interface ScalingEventLog {
  /**
   * Records the transition if it is new (a conditional write).
   * @returns false when it was already recorded: a duplicate delivery.
   */
  claim(eventKey: string, now: number): Promise<boolean>;
  /** Forgets a claimed transition whose scaling failed, so the retried delivery can scale. */
  release(eventKey: string): Promise<void>;
}

/** Reads how many messages a queue holds, for depth-mode scaling. */
export interface QueueDepthReader {
  /** `ApproximateNumberOfMessages` (visible) of the queue. */
  visibleMessages(queueUrl: string): Promise<number>;
  /**
   * `ApproximateAgeOfOldestMessage` of the queue, seconds (SQS's API has no such attribute: on
   * AWS it is read from CloudWatch). Undefined when there is no datapoint. Optional: without it,
   * depth mode's `maxAgeSec` has no effect.
   */
  ageOfOldestSec?(queueUrl: string): Promise<number | undefined>;
}
