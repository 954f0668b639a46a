import { AwsLimits } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import type { Logger } from "../logger.js";
import { type MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { QueueClient, QueueMessage } from "../queue/ports.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import { BatchVerdict, readBatchResult } from "./batchResult.js";
import { deleteSucceeded } from "./deleteSucceeded.js";
import { holdBackAfterGroupFailure } from "./fifoOrder.js";
import { fitPayload } from "./fitPayload.js";
import { type InvokeHandlerDeps, invokeUntilRun } from "./invokeHandler.js";
import { toSqsEvent } from "./sqsEvent.js";

export interface DispatchBatchDeps extends InvokeHandlerDeps {
  queue: Pick<QueueClient, "deleteBatch" | "changeVisibility">;
  clock: Pick<Clock, "sleep" | "monotonic">;
  /** Backoff of delete retries (and of invokes that did not run). */
  retry: BackoffPolicy;
  logger: Pick<Logger, "info" | "warn" | "error">;
  metrics: MetricsSink;
  /** Region for event ARNs when the queue URL's host does not name one. */
  region: string;
  /** Largest serialized event per invoke; default Lambda's synchronous limit (6 MB). */
  payloadLimitBytes?: number;
  /** Called once the handler is done with the batch, before its deletes: its handler slot is free. */
  onHandled?: () => void;
}

/** What became of one batch's messages. */
export interface BatchOutcome {
  /** Deleted after their handler succeeded. */
  succeeded: number;
  /** Left to the visibility timeout: failed, held back for FIFO order, or an ambiguous invoke. */
  failed: number;
  /** Succeeded but could not be deleted after retries (delivered again). */
  undeleted: number;
  /** Never given to the handler (it could not be invoked in time): made visible again at once. */
  released: number;
  /** Every invoke ran and every record succeeded. */
  clean: boolean;
}

/**
 * One batch of DESIGN.md step 3, from a received batch to its deletes: splits it so that no
 * synchronous invoke exceeds 6 MB, invokes the route's handler with each part in order
 * ({@link invokeUntilRun}), reads each response as Lambda's partial batch responses are read,
 * keeps FIFO group order (a failed record holds back the later records of its group, across
 * parts too), deletes the succeeded records and makes the never-invoked ones visible again.
 * Never throws.
 */
export async function dispatchBatch(
  deps: DispatchBatchDeps,
  queueUrl: string,
  queueName: string,
  functionName: string,
  messages: readonly QueueMessage[],
  fifo: boolean,
): Promise<BatchOutcome> {
  const { metrics } = deps;
  const limit = deps.payloadLimitBytes ?? AwsLimits.syncInvokePayloadMaxBytes;
  const chunks = fitPayload(toSqsEvent(messages, queueUrl, deps.region).Records, limit);
  let failed = new Set<string>();
  const notInvoked = new Set<string>();
  const verdicts: string[] = [];
  let clean = true;

  for (const chunk of chunks) {
    const ids = chunk.records.map((r) => r.messageId);
    if (notInvoked.size > 0 || !deps.mayStartInvoke(0)) {
      for (const id of ids) notInvoked.add(id);
      continue;
    }
    const attempt = await invokeUntilRun(deps, functionName, chunk.json);
    if (attempt.kind === "not-run") {
      for (const id of ids) notInvoked.add(id);
      clean = false;
      continue;
    }
    metrics.add(queueName, PollerMetric.Batches, 1);
    if (attempt.kind === "ambiguous") {
      for (const id of ids) failed.add(id);
      verdicts.push("ambiguous");
      clean = false;
      continue;
    }
    metrics.add(queueName, PollerMetric.HandlerDuration, attempt.durationMs);
    const read = readBatchResult(ids, attempt.result);
    for (const id of read.failed) failed.add(id);
    if (read.verdict !== BatchVerdict.AllSucceeded) {
      clean = false;
      verdicts.push(read.verdict);
    }
  }

  deps.onHandled?.();
  // Records never invoked count as failed for FIFO order: nothing after them in their group may be deleted.
  if (fifo) failed = holdBackAfterGroupFailure(messages, new Set([...failed, ...notInvoked]));
  for (const id of notInvoked) failed.delete(id);

  if (failed.size > 0) {
    deps.logger.info("batch had failures; they return to the queue", {
      functionName,
      verdicts,
      failed: failed.size,
      messageIds: [...failed],
    });
  }
  const released = messages.filter((m) => notInvoked.has(m.messageId));
  if (released.length > 0) await release(deps, queueUrl, released);
  const succeeded = messages.filter((m) => !failed.has(m.messageId) && !notInvoked.has(m.messageId));
  const undeleted = succeeded.length > 0 ? await deleteSucceeded(deps, queueUrl, succeeded) : 0;
  metrics.add(queueName, PollerMetric.MessagesSucceeded, succeeded.length - undeleted);
  metrics.add(queueName, PollerMetric.MessagesFailed, failed.size);
  return {
    succeeded: succeeded.length - undeleted,
    failed: failed.size,
    undeleted,
    released: released.length,
    clean,
  };
}

/** Makes messages that no handler saw visible again at once, so the next loop gets them without waiting. */
async function release(
  deps: Pick<DispatchBatchDeps, "queue" | "logger">,
  queueUrl: string,
  messages: readonly QueueMessage[],
): Promise<void> {
  try {
    await deps.queue.changeVisibility(
      queueUrl,
      messages.map((m) => m.receiptHandle),
      0,
    );
  } catch (error) {
    // Harmless: they return when their visibility timeout ends instead.
    deps.logger.warn("could not release messages no handler saw", {
      error: describeError(error),
      count: messages.length,
    });
  }
}
