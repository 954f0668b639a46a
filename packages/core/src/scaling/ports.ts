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

/** The per-queue lock scale-up, scale-down and restart's reconcile share: see `lease/loopCountLock.ts`. */
export type { QueueScalingLock } from "../lease/loopCountLock.js";

/** An alarm as CloudWatch describes it now (`DescribeAlarms`). */
export interface DescribedAlarm {
  name: string;
  arn: string;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  state: string;
  namespace?: string;
  /** The metric's dimensions (`QueueName` for the platform's tier alarms). */
  dimensions: { name: string; value: string }[];
  /**
   * When the state last changed, epoch ms (`StateTransitionedTimestamp`, else
   * `StateUpdatedTimestamp`): every notification of one transition shares it.
   */
  transitionedAt?: number;
}

/**
 * Looks up an alarm by its exact name, so a scale function acts only on what CloudWatch says
 * now, not on what a notification claims: a notification can be invoked straight into the
 * function by anyone allowed `lambda:InvokeFunction` on it.
 */
export interface AlarmDirectory {
  /** The metric alarm named exactly `alarmName`; undefined when there is none. */
  describe(alarmName: string): Promise<DescribedAlarm | undefined>;
}
