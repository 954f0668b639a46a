import { AwsLimits } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import type { NotRunReason } from "../errors.js";
import type { Logger } from "../logger.js";
import { type MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { QueueClient, QueueMessage } from "../queue/ports.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import { BatchVerdict, readBatchResult } from "./batchResult.js";
import { deleteSucceeded } from "./deleteSucceeded.js";
import { holdBackAfterGroupFailure } from "./fifoOrder.js";
import { fitPayload } from "./fitPayload.js";
import { type InvokeHandlerDeps, invokeUntilRun } from "./invokeHandler.js";
import { releaseMessages } from "./releaseMessages.js";
import { type SqsEventRecord, toSqsEvent } from "./sqsEvent.js";

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
  /**
   * How long a batch whose handler kept refusing (`reason`) stays invisible when it is handed back,
   * seconds: the loop's backoff before it tries that handler again. Default 0 (visible at once).
   */
  notRunHoldSec?(reason: NotRunReason): number;
  /**
   * Called once the handler is done with the batch, before its deletes: its handler slot is free,
   * and only `deleting` (the succeeded messages) still needs its visibility kept until deleted.
   */
  onHandled?: (deleting: readonly QueueMessage[]) => void;
}

/** What became of one batch's messages. */
export interface BatchOutcome {
  /** Deleted after their handler succeeded. */
  succeeded: number;
  /** Left to the visibility timeout: failed, held back for FIFO order, or an ambiguous invoke. */
  failed: number;
  /** Succeeded but could not be deleted after retries (delivered again). */
  undeleted: number;
  /** Never given to the handler (it could not be invoked in time, or the loop stopped): handed back. */
  released: number;
  /** Every invoke ran and every record succeeded. */
  clean: boolean;
}

/**
 * One batch of docs/protocol.md's "Receive and dispatch", from a received batch to its deletes: splits it so that no
 * synchronous invoke exceeds 6 MB, invokes the route's handler with each part in order
 * ({@link invokeUntilRun}), reads each response as Lambda's partial batch responses are read,
 * keeps FIFO group order (once a record failed, the later records of its group are neither
 * invoked in a later part nor deleted: they return to the queue behind it), deletes the
 * succeeded records and hands back the never-invoked ones.
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
  /** FIFO groups with a failed record: their later records are not invoked (they return with it). */
  const brokenGroups = new Set<string>();
  const groupOf = (record: SqsEventRecord) => record.attributes["MessageGroupId"];
  const verdicts: string[] = [];
  let clean = true;
  let releaseSec = 0;
  // Chunks go one after another, each once the previous one answered: a group split across chunks
  // is invoked in order, and a failure in one chunk keeps the group's later records out of the next.
  for (const chunk of chunks) {
    let records = chunk.records;
    if (fifo && brokenGroups.size > 0) {
      const heldBack = records.filter((r) => brokenGroups.has(groupOf(r) ?? ""));
      for (const r of heldBack) failed.add(r.messageId);
      records = records.filter((r) => !brokenGroups.has(groupOf(r) ?? ""));
      if (records.length === 0) continue;
    }
    const ids = records.map((r) => r.messageId);
    if (notInvoked.size > 0 || !deps.mayStartInvoke(0)) {
      for (const id of ids) notInvoked.add(id);
      continue;
    }
    const json = records === chunk.records ? chunk.json : (fitPayload(records, limit)[0]?.json ?? chunk.json);
    const attempt = await invokeUntilRun(deps, functionName, json);
    if (attempt.kind === "not-run") {
      for (const id of ids) notInvoked.add(id);
      clean = false;
      // A loop that stops (lease lost) hands the batch straight back; one that ran out of retries
      // keeps it invisible while it backs off, so its next receive does not take the same batch again.
      if (!attempt.stopped && attempt.reason !== undefined)
        releaseSec = deps.notRunHoldSec?.(attempt.reason) ?? 0;
      continue;
    }
    metrics.add(queueName, PollerMetric.Batches, 1);
    const chunkFailed: string[] = [];
    if (attempt.kind === "ambiguous") {
      chunkFailed.push(...ids);
      verdicts.push("ambiguous");
      clean = false;
    } else {
      metrics.add(queueName, PollerMetric.HandlerDuration, attempt.durationMs);
      const read = readBatchResult(ids, attempt.result);
      chunkFailed.push(...read.failed);
      if (read.verdict !== BatchVerdict.AllSucceeded) {
        clean = false;
        verdicts.push(read.verdict);
      }
    }
    for (const id of chunkFailed) failed.add(id);
    if (fifo) {
      for (const r of records) if (failed.has(r.messageId)) brokenGroups.add(groupOf(r) ?? "");
    }
  }
  // Records never invoked count as failed for FIFO order: nothing after them in their group may be deleted.
  if (fifo) failed = holdBackAfterGroupFailure(messages, new Set([...failed, ...notInvoked]));
  for (const id of notInvoked) failed.delete(id);
  const succeeded = messages.filter((m) => !failed.has(m.messageId) && !notInvoked.has(m.messageId));
  deps.onHandled?.(succeeded);

  if (failed.size > 0) {
    deps.logger.info("batch had failures; they return to the queue", {
      functionName,
      verdicts,
      failed: failed.size,
      messageIds: [...failed],
    });
  }
  const released = messages.filter((m) => notInvoked.has(m.messageId));
  // A handler that refused them gets them back after `releaseSec`, when the loop has backed off.
  await releaseMessages(deps, queueUrl, released, releaseSec, "messages no handler saw");
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
