import type { AlarmState } from "../scaling/alarmNotification.js";

/** The depth counters and redrive policy of one queue (SQS `GetQueueAttributes`). */
export interface QueueAttributes {
  /** The queue's ARN (`QueueArn`). */
  arn: string;
  /** `ApproximateNumberOfMessages`. */
  visible: number;
  /** `ApproximateNumberOfMessagesNotVisible`. */
  inFlight: number;
  /** `ApproximateNumberOfMessagesDelayed`. */
  delayed: number;
  /** From `RedrivePolicy`: where poison messages go, when the queue has a DLQ. */
  deadLetterTargetArn?: string;
}

/** Finds queues and reads their attributes (SQS `ListQueues`, `GetQueueUrl`, `GetQueueAttributes`). */
export interface QueueDirectory {
  /** Every queue URL the account lists in the region (all pages). */
  listQueueUrls(): Promise<string[]>;
  /** The URL of a queue by name; undefined when no such queue exists. */
  queueUrl(queueName: string): Promise<string | undefined>;
  /** The queue's attributes; undefined when the queue does not exist (any more). */
  attributes(queueUrl: string): Promise<QueueAttributes | undefined>;
}

// One definition of CloudWatch's alarm states (`StateValue` here, `NewStateValue` in a notification).
export { AlarmState } from "../scaling/alarmNotification.js";

/** A metric alarm on a queue: one whose metric has a `QueueName` dimension. */
export interface QueueAlarm {
  name: string;
  state: AlarmState;
  queueName: string;
}

/** Reads the alarms watching queues (CloudWatch `DescribeAlarms`, filtered by the `QueueName` dimension). */
export interface AlarmReader {
  /** Every alarm on a queue metric, optionally only those of one queue. */
  queueAlarms(queueName?: string): Promise<QueueAlarm[]>;
}

/** Reads the account's Lambda concurrency (Lambda `GetAccountSettings`). */
export interface AccountConcurrencyReader {
  /** `AccountLimit.ConcurrentExecutions`. */
  accountConcurrency(): Promise<number>;
}
