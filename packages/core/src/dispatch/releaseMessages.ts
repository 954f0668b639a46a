import { describeError } from "../describeError.js";
import type { Logger } from "../logger.js";
import type { QueueClient, QueueMessage } from "../queue/ports.js";

/**
 * Hands received messages back to the queue: visible at once (`visibilitySec` 0, so the next
 * receive gets them without waiting) or after `visibilitySec`. A failure is logged as
 * `could not release <what>` and not thrown: the messages then return when their visibility
 * timeout ends instead.
 */
export async function releaseMessages(
  deps: { queue: Pick<QueueClient, "changeVisibility">; logger: Pick<Logger, "warn"> },
  queueUrl: string,
  messages: readonly QueueMessage[],
  visibilitySec: number,
  what: string,
): Promise<void> {
  if (messages.length === 0) return;
  try {
    await deps.queue.changeVisibility(
      queueUrl,
      messages.map((m) => m.receiptHandle),
      visibilitySec,
    );
  } catch (error) {
    deps.logger.warn(`could not release ${what}`, { error: describeError(error), count: messages.length });
  }
}
