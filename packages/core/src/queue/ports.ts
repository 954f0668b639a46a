/** A message as ReceiveMessage returns it (all system and message attributes requested). */
export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  /** Present when the message has message attributes. */
  md5OfMessageAttributes?: string;
  attributes: Record<string, string>;
  messageAttributes: Record<
    string,
    {
      dataType: string;
      stringValue?: string;
      binaryValue?: string;
      stringListValues?: string[];
      binaryListValues?: string[];
    }
  >;
}

export interface ReceiveOptions {
  maxMessages: number;
  waitTimeSec: number;
  visibilityTimeoutSec?: number;
}

/** The SQS operations a loop uses. */
export interface QueueClient {
  receive(queueUrl: string, options: ReceiveOptions): Promise<QueueMessage[]>;
  /** Deletes the messages; returns the receipt handles that failed to delete (to retry). */
  deleteBatch(queueUrl: string, receiptHandles: readonly string[]): Promise<string[]>;
  changeVisibility(
    queueUrl: string,
    receiptHandles: readonly string[],
    visibilityTimeoutSec: number,
  ): Promise<void>;
  /**
   * The queue's default visibility timeout (GetQueueAttributes `VisibilityTimeout`).
   * Optional: without it the poller assumes SQS's default of 30 s when extending visibility.
   */
  visibilityTimeoutSec?(queueUrl: string): Promise<number>;
}

/**
 * One receive as a loop makes it: SQS's `ReceiveMessage`, or that with route policies around it
 * (the rate limit, the filters), composed where the loop is assembled.
 */
export type Receive = QueueClient["receive"];
