import { DispatcherError } from "../errors.js";

/** A queue's dead-letter queue, and the queue it serves when that is known. */
export interface DeadLetterTarget {
  /** The DLQ's name, URL and ARN. */
  name: string;
  url: string;
  arn: string;
  /** The queue whose redrive policy names this DLQ, when the command named that queue. */
  source?: { name: string; url: string; arn: string };
}

/** A message seen in a DLQ by `peek`. */
export interface PeekedMessage {
  messageId: string;
  body: string;
  /** How many times it has been received, this peek included. */
  receiveCount: number;
  sentAt: number | null;
  attributes: Record<string, string>;
  messageAttributes: Record<string, { DataType?: string; StringValue?: string }>;
}

/** One message move task, as SQS's `ListMessageMoveTasks` reports it. */
export interface MoveTask {
  /** Present while the task runs (only a running task can be cancelled). */
  taskHandle?: string;
  status: "RUNNING" | "COMPLETED" | "CANCELLING" | "CANCELLED" | "FAILED";
  sourceArn: string;
  destinationArn?: string;
  maxPerSecond?: number;
  moved: number;
  toMove?: number;
  failureReason?: string;
  startedAt: number;
}

/** Dead-letter operations on SQS (the same code against AWS and the local cloud). */
export interface DeadLetterQueues {
  /**
   * The DLQ of `queueName`: its redrive policy's target, or `queueName` itself when it is some
   * queue's DLQ. Throws {@link DeadLetterQueueNotFoundError} otherwise.
   */
  resolve(queueName: string): Promise<DeadLetterTarget>;
  /** Up to `count` messages, made visible again at once (each peek counts as a receive). */
  peek(dlq: DeadLetterTarget, count: number): Promise<PeekedMessage[]>;
  /** Starts moving the DLQ's messages back (to `destinationArn`, else each to its source); returns the task handle. */
  startRedrive(
    dlq: DeadLetterTarget,
    options: { destinationArn?: string; maxPerSecond?: number },
  ): Promise<string>;
  /** The most recent tasks of the DLQ, newest first (up to 10). */
  tasks(dlq: DeadLetterTarget, max?: number): Promise<MoveTask[]>;
  /** Cancels a running task; returns how many messages it had moved. */
  cancel(taskHandle: string): Promise<number>;
  /** Deletes every message of the DLQ (SQS allows one purge a minute per queue). */
  purge(dlq: DeadLetterTarget): Promise<void>;
  /** Visible and in-flight messages of the DLQ now. */
  depth(dlq: DeadLetterTarget): Promise<{ visible: number; inFlight: number }>;
}

/** The named queue has no DLQ and is no queue's DLQ. */
export class DeadLetterQueueNotFoundError extends DispatcherError {
  override readonly name = "DeadLetterQueueNotFoundError";
  constructor(readonly queueName: string) {
    super(
      `queue '${queueName}' has no dead-letter queue (no RedrivePolicy) and is no queue's dead-letter queue`,
      { queueName },
    );
  }
}
