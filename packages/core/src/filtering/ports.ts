import type { QueueMessage } from "../queue/ports.js";

/**
 * Sends copies of received messages to another queue (SQS `SendMessageBatch`): the body, every
 * message attribute and, when the target is a FIFO queue, the message group and deduplication ids.
 */
export interface MessageForwarder {
  /**
   * Sends the messages to queue `queueName` (of the poller's own account and region), in order.
   * @returns the messageIds that were not sent (to retry, or to leave in the source queue).
   * @throws when the target cannot be sent to at all (no such queue, access denied).
   */
  forward(queueName: string, messages: readonly QueueMessage[]): Promise<string[]>;
}
