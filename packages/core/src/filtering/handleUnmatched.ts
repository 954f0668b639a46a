import { AwsLimits, NoMatchKind, parseNoMatchAction, type Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { BatchVerdict, readBatchResult } from "../dispatch/batchResult.js";
import { holdBackAfterGroupFailure } from "../dispatch/fifoOrder.js";
import { fitPayload } from "../dispatch/fitPayload.js";
import { type InvokeHandlerDeps, invokeUntilRun } from "../dispatch/invokeHandler.js";
import { toSqsEvent } from "../dispatch/sqsEvent.js";
import { isRetryable } from "../errors.js";
import type { Logger } from "../logger.js";
import { type MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { QueueMessage } from "../queue/ports.js";
import { type BackoffPolicy, backoffDelayMs } from "../retry/backoff.js";
import type { MessageForwarder } from "./ports.js";

/** Attempts of a forward (the entries SendMessageBatch refused). */
export const unmatchedAttempts = 3;

export interface HandleUnmatchedDeps {
  forwarder: MessageForwarder;
  /**
   * How `invoke:<function>` invokes: the poller's own invoke deps (invoker, backoff, time left,
   * not-run observer), so the second function is invoked exactly as the route's handler is.
   */
  invoke: InvokeHandlerDeps;
  clock: Pick<Clock, "sleep">;
  /** Backoff between forward attempts. */
  retry: BackoffPolicy;
  logger: Pick<Logger, "info" | "warn" | "error">;
  /** Region for event ARNs when the queue URL's host does not name one (emulators). */
  region: string;
  /** Where `MessagesForwarded` and `MessagesDropped` go; default nowhere. */
  metrics?: MetricsSink;
  /** Largest serialized event per invoke of the no-match function; default Lambda's synchronous limit (6 MB). */
  payloadLimitBytes?: number;
}

/** What became of the messages that matched no filter. */
export interface UnmatchedOutcome {
  /** The route's `onNoMatch` kind that was applied. */
  action: NoMatchKind;
  /** Done with: forwarded, dropped, or handled by the second function. The caller deletes these. */
  settled: QueueMessage[];
  /**
   * messageIds left in the queue (not forwarded, or failed by the second function): they return
   * after the visibility timeout, and reach the DLQ by the redrive policy if they keep failing.
   * On a FIFO queue this includes the later messages of a group that had a failure.
   */
  failed: Set<string>;
  /**
   * Messages the no-match function never saw (Lambda kept refusing the invoke until no retry could
   * finish in time): none of their receives was used by a handler. The caller may make them
   * visible again at once, as the poller does with its own batches.
   */
  notRun: QueueMessage[];
}

type UnmatchedRoute = Pick<Route, "queueName" | "queueUrl" | "onNoMatch">;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function forward(
  deps: HandleUnmatchedDeps,
  route: UnmatchedRoute,
  queueName: string,
  messages: readonly QueueMessage[],
): Promise<Set<string>> {
  let pending = [...messages];
  for (let attempt = 0; pending.length > 0 && attempt < unmatchedAttempts; attempt++) {
    if (attempt > 0) await deps.clock.sleep(backoffDelayMs(attempt - 1, deps.retry));
    try {
      const failed = new Set(await deps.forwarder.forward(queueName, pending));
      pending = pending.filter((m) => failed.has(m.messageId));
    } catch (error) {
      if (!isRetryable(error)) {
        deps.logger.error("cannot forward messages that match no filter; they stay in the queue", {
          queueUrl: route.queueUrl,
          target: queueName,
          count: pending.length,
          error: describe(error),
        });
        break;
      }
      deps.logger.warn("forwarding failed; retrying", { target: queueName, attempt, error: describe(error) });
    }
  }
  if (pending.length > 0) {
    deps.logger.warn("messages that match no filter were not forwarded; they return to the queue", {
      queueUrl: route.queueUrl,
      target: queueName,
      messageIds: pending.map((m) => m.messageId),
    });
  }
  return new Set(pending.map((m) => m.messageId));
}

async function invokeSecond(
  deps: HandleUnmatchedDeps,
  route: UnmatchedRoute,
  functionName: string,
  messages: readonly QueueMessage[],
): Promise<{ failed: Set<string>; notRun: Set<string> }> {
  const failed = new Set<string>();
  const notRun = new Set<string>();
  const limit = deps.payloadLimitBytes ?? AwsLimits.syncInvokePayloadMaxBytes;
  // The same event, 6 MB split and invoke discipline as the route's own handler gets.
  for (const chunk of fitPayload(toSqsEvent(messages, route.queueUrl, deps.region).Records, limit)) {
    const ids = chunk.records.map((r) => r.messageId);
    // Nothing is invoked that could not finish inside the caller's budget: those messages are handed back.
    if (notRun.size > 0 || !deps.invoke.mayStartInvoke(0)) {
      for (const id of ids) notRun.add(id);
      continue;
    }
    const attempt = await invokeUntilRun(deps.invoke, functionName, chunk.json);
    if (attempt.kind === "not-run") {
      for (const id of ids) notRun.add(id);
      continue;
    }
    if (attempt.kind === "ambiguous") {
      for (const id of ids) failed.add(id);
      continue;
    }
    const read = readBatchResult(ids, attempt.result);
    for (const id of read.failed) failed.add(id);
    if (read.verdict !== BatchVerdict.AllSucceeded) {
      deps.logger.info("the no-match function failed messages; they return to the queue", {
        functionName,
        verdict: read.verdict,
        functionError: attempt.result.functionError,
        messageIds: [...read.failed],
      });
    }
  }
  return { failed, notRun };
}

/**
 * Applies a route's `onNoMatch` to the messages that matched none of its filters:
 *
 * - `delete` (or unset): every message is settled, as Lambda's event source drops them;
 *   counted as `MessagesDropped`.
 * - `forward:<queue>`: each message is sent to the queue with its body and message attributes
 *   (group and deduplication ids kept on a FIFO target), retrying refused entries; the sent ones
 *   are settled and counted as `MessagesForwarded`, the others stay in the queue. Nothing is lost.
 * - `invoke:<function>`: the messages go to that function synchronously as a Lambda SQS event
 *   (split under 6 MB, invoked with {@link invokeUntilRun} like the route's handler); its partial
 *   batch response is read as the route handler's is; succeeded ones are settled.
 *
 * It never deletes: the caller deletes `settled` (with the handler's succeeded messages), so a
 * loop has one delete path. Never throws.
 *
 * @example
 * const { matched, unmatched } = partitionByFilters(messages, route.filters);
 * const diverted = await handleUnmatched(deps, route, unmatched);
 * // invoke the handler with `matched`; delete succeeded ∪ diverted.settled
 */
export async function handleUnmatched(
  deps: HandleUnmatchedDeps,
  route: UnmatchedRoute,
  messages: readonly QueueMessage[],
): Promise<UnmatchedOutcome> {
  const action = parseNoMatchAction(route.onNoMatch ?? NoMatchKind.Delete) ?? { kind: NoMatchKind.Delete };
  if (messages.length === 0) return { action: action.kind, settled: [], failed: new Set(), notRun: [] };
  let failed: Set<string>;
  let notRun = new Set<string>();
  switch (action.kind) {
    case NoMatchKind.Delete:
      deps.metrics?.add(route.queueName, PollerMetric.MessagesDropped, messages.length);
      deps.logger.info("messages matched no filter; dropped", {
        queueUrl: route.queueUrl,
        action: action.kind,
        count: messages.length,
        messageIds: messages.map((m) => m.messageId),
      });
      return { action: action.kind, settled: [...messages], failed: new Set(), notRun: [] };
    case NoMatchKind.Forward:
      failed = await forward(deps, route, action.queueName, messages);
      break;
    case NoMatchKind.Invoke:
      ({ failed, notRun } = await invokeSecond(deps, route, action.functionName, messages));
      break;
  }
  // FIFO: a group's later messages wait behind its failed (or never invoked) one, in this queue.
  failed = holdBackAfterGroupFailure(messages, new Set([...failed, ...notRun]));
  for (const id of notRun) failed.delete(id);
  const settled = messages.filter((m) => !failed.has(m.messageId) && !notRun.has(m.messageId));
  if (action.kind === NoMatchKind.Forward && settled.length > 0) {
    deps.metrics?.add(route.queueName, PollerMetric.MessagesForwarded, settled.length);
  }
  if (settled.length > 0) {
    deps.logger.info(
      action.kind === NoMatchKind.Forward
        ? "messages matched no filter; forwarded"
        : "messages matched no filter; handled by the no-match function",
      {
        queueUrl: route.queueUrl,
        action: action.kind,
        target: action.kind === NoMatchKind.Forward ? action.queueName : action.functionName,
        count: settled.length,
      },
    );
  }
  return {
    action: action.kind,
    settled,
    failed,
    notRun: messages.filter((m) => notRun.has(m.messageId)),
  };
}
