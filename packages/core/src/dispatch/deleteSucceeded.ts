import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import type { Logger } from "../logger.js";
import type { QueueClient, QueueMessage } from "../queue/ports.js";
import { type BackoffPolicy, backoffDelayMs } from "../retry/backoff.js";

/** DeleteMessageBatch attempts before a succeeded message is left to redelivery. */
export const deleteAttempts = 5;

export interface DeleteSucceededDeps {
  queue: Pick<QueueClient, "deleteBatch">;
  clock: Pick<Clock, "sleep">;
  retry: BackoffPolicy;
  logger: Pick<Logger, "warn" | "error">;
}

/**
 * Deletes the messages whose handler succeeded (docs/protocol.md, step 4), retrying the entries
 * SQS failed on its side and whole-call errors, with backoff. An entry SQS refused (its receipt
 * handle is invalid or has expired) is not retried: that message is back in the queue and will be
 * delivered again, so it counts as undeleted. Never throws: a message that stays undeleted is
 * delivered again (at-least-once), never lost.
 *
 * @returns how many messages are still undeleted after every attempt.
 */
export async function deleteSucceeded(
  deps: DeleteSucceededDeps,
  queueUrl: string,
  messages: readonly QueueMessage[],
): Promise<number> {
  let pending = messages.map((m) => m.receiptHandle);
  let rejected = 0;
  for (let attempt = 0; pending.length > 0 && attempt < deleteAttempts; attempt++) {
    if (attempt > 0) await deps.clock.sleep(backoffDelayMs(attempt - 1, deps.retry));
    try {
      const failures = await deps.queue.deleteBatch(queueUrl, pending);
      pending = failures.retryable;
      if (failures.rejected.length > 0) {
        rejected += failures.rejected.length;
        deps.logger.warn(
          "SQS refused the receipt handle of succeeded messages (expired); they will be delivered again",
          {
            count: failures.rejected.length,
          },
        );
      }
    } catch (error) {
      deps.logger.warn("DeleteMessageBatch failed", { error: describeError(error), attempt });
    }
  }
  if (pending.length > 0) {
    deps.logger.error("could not delete succeeded messages; they will be delivered again", {
      count: pending.length,
    });
  }
  return pending.length + rejected;
}
