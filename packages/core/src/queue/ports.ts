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
  /**
   * FIFO queues: `ReceiveRequestAttemptId`. A receive retried with the id of one whose answer was
   * lost gets the same messages again instead of leaving them invisible (and their groups locked).
   */
  attemptId?: string;
  /**
   * The loop's hold on what this receive takes, for a policy around the receive that works on the
   * messages before handing them over (the filters' no-match function): without it that work would
   * run with the messages' visibility unextended and outside the invocation's budget.
   */
  hold?: ReceiveHold;
}

/** What a loop lends a receive for work on received messages before they reach the batch. */
export interface ReceiveHold {
  /** Runs `work` while keeping `messages` invisible (the loop's visibility extension). */
  whileHolding<T>(messages: readonly QueueMessage[], work: () => Promise<T>): Promise<T>;
  /** Whether an invoke started `afterMs` from now could still finish before the invocation must recurse. */
  mayStartInvoke(afterMs: number): boolean;
}

/** The entries of a batch operation (delete, change visibility) that did not take effect, by receipt handle. */
export interface EntryFailures {
  /** Worth another try: SQS failed them on its side, or the call that carried them failed as a whole. */
  retryable: string[];
  /**
   * Refused for good (SQS's sender fault: the receipt handle is invalid or has expired): that
   * receive's hold on the message is over, so the message is back in the queue or already gone.
   * Retrying cannot help, and a delete refused so did not delete.
   */
  rejected: string[];
}

/** The SQS operations a loop uses. */
export interface QueueClient {
  receive(queueUrl: string, options: ReceiveOptions): Promise<QueueMessage[]>;
  /** Deletes the messages (any number: the client splits them into SQS's 10-entry calls). */
  deleteBatch(queueUrl: string, receiptHandles: readonly string[]): Promise<EntryFailures>;
  /** Sets the messages' visibility timeout (any number, as {@link QueueClient.deleteBatch}). */
  changeVisibility(
    queueUrl: string,
    receiptHandles: readonly string[],
    visibilityTimeoutSec: number,
  ): Promise<EntryFailures>;
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
