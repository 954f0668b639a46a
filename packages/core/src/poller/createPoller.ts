import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { BatchVerdict, readBatchResult } from "../dispatch/batchResult.js";
import { holdBackAfterGroupFailure, isFifoQueue } from "../dispatch/fifoOrder.js";
import type { FunctionInvoker, InvokeResult } from "../dispatch/ports.js";
import { toSqsEvent } from "../dispatch/sqsEvent.js";
import { isRetryable, LeaseLossReason, LeaseLostError } from "../errors.js";
import type { LeaseStore } from "../lease/ports.js";
import type { LoopEvent } from "../lease/token.js";
import type { Logger } from "../logger.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import { type BackoffPolicy, backoffDelayMs, defaultBackoff } from "./backoff.js";
import { type LoopOutcome, LoopOutcomeStatus } from "./loopOutcome.js";
import type { LoopStarter, QueueClient, QueueMessage } from "./ports.js";

/** Timing of one poller invocation. */
export interface PollerSettings {
  /** Long-poll wait of each ReceiveMessage, seconds (0–20). */
  waitTimeSec: number;
  /** Slack kept beyond one full cycle before the invocation ends, seconds. */
  marginSec: number;
  /** The longest timeout of any handler function, seconds: one cycle must fit it. */
  maxHandlerTimeoutSec: number;
  /** Region for event ARNs when the queue URL's host does not name one (emulators). Default us-east-1. */
  region?: string;
}

export interface PollerDeps {
  leases: Pick<LeaseStore, "heartbeat" | "listByQueue">;
  routes: RouteResolver;
  queue: QueueClient;
  invoker: FunctionInvoker;
  starter: LoopStarter;
  clock: Clock;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  settings: PollerSettings;
  /** Backoff of heartbeat, delete, invoke and self-invoke retries. */
  retry?: BackoffPolicy;
}

/** The invocation's time budget (Lambda's `context.getRemainingTimeInMillis()`). */
export interface InvocationContext {
  remainingTimeMs(): number;
  requestId?: string;
}

export interface Poller {
  /** Runs one invocation of a loop: cycles while time is left, then recurses unless the lease was lost. */
  run(event: LoopEvent, context: InvocationContext): Promise<LoopOutcome>;
}

type HeartbeatResult = "held" | "unverified" | LeaseLossReason;

/** Retries of a failed DeleteMessageBatch entry before the message is left to redelivery. */
const deleteAttempts = 5;
/** Retries of a throttled/5xx handler invoke within a cycle. */
const invokeAttempts = 3;
/** Retries of the self-invoke at the end of the invocation. */
const recurseAttempts = 4;
/** SQS's default visibility timeout, assumed when the queue client cannot read the queue's. */
const defaultVisibilitySec = 30;
/** How long a queue's visibility timeout is cached. */
const visibilityCacheMs = 60_000;
/** Shortest idle wait, so a zero long-poll wait never spins heartbeats. */
const minIdleMs = 1_000;
const settled: Promise<void> = Promise.resolve();

/**
 * Creates the poller: the recursive loop of DESIGN.md's token protocol.
 * Nothing a message or a handler does ends the loop; only losing the lease does.
 *
 * @example
 * const poller = createPoller({ leases, routes, queue, invoker, starter, clock, logger, settings });
 * await poller.run(event, { remainingTimeMs: () => context.getRemainingTimeInMillis() });
 */
export function createPoller(deps: PollerDeps): Poller {
  const { leases, routes, queue, invoker, starter, clock, settings } = deps;
  const retry = deps.retry ?? defaultBackoff;
  const region = settings.region ?? "us-east-1";
  const waitMs = settings.waitTimeSec * 1000;
  const marginMs = settings.marginSec * 1000;
  const cycleBudgetMs = (settings.waitTimeSec + settings.maxHandlerTimeoutSec + settings.marginSec) * 1000;
  const visibilityCache = new Map<string, { sec: number; at: number }>();

  async function run(event: LoopEvent, context: InvocationContext): Promise<LoopOutcome> {
    const fields = {
      queueUrl: event.queueUrl,
      token: event.token,
      loopId: event.loopId,
      requestId: context.requestId,
    };
    const log = {
      debug: (m: string, f?: object) => deps.logger.debug(m, { ...fields, ...f }),
      info: (m: string, f?: object) => deps.logger.info(m, { ...fields, ...f }),
      warn: (m: string, f?: object) => deps.logger.warn(m, { ...fields, ...f }),
      error: (m: string, f?: object) => deps.logger.error(m, { ...fields, ...f }),
    };
    const outcome: LoopOutcome = {
      status: LoopOutcomeStatus.Recursed,
      cycles: 0,
      received: 0,
      succeeded: 0,
      failed: 0,
      undeleted: 0,
    };
    const fifo = isFifoQueue(event.queueUrl);
    let consecutiveErrors = 0;

    async function heartbeat(): Promise<HeartbeatResult> {
      for (let attempt = 0; ; attempt++) {
        try {
          await leases.heartbeat(event, clock.now());
          return "held";
        } catch (error) {
          if (error instanceof LeaseLostError) return lossReason();
          const delay = backoffDelayMs(attempt, retry);
          // Give up only when retrying would eat the time needed to recurse; the next invocation tries again.
          if (context.remainingTimeMs() - delay < marginMs) {
            log.error("heartbeat failed until the invocation ran out of time; recursing unverified", {
              error: describe(error),
              attempts: attempt + 1,
            });
            return "unverified";
          }
          log.warn("heartbeat failed; retrying", { error: describe(error), attempt, delayMs: delay });
          await clock.sleep(delay);
        }
      }
    }

    /** Tells revoked from taken over by one consistent read of the queue's tokens. */
    async function lossReason(): Promise<LeaseLossReason> {
      try {
        const tokens = await leases.listByQueue(event.queueUrl);
        return tokens.some((t) => t.token === event.token)
          ? LeaseLossReason.TakenOver
          : LeaseLossReason.Revoked;
      } catch (error) {
        log.warn("could not read the token to tell revoked from taken over", { error: describe(error) });
        return LeaseLossReason.Revoked;
      }
    }

    async function idle(maxMs: number): Promise<void> {
      const ms = Math.max(0, Math.min(Math.max(waitMs, minIdleMs), maxMs));
      if (ms > 0) await clock.sleep(ms);
    }

    async function visibilitySecOf(queueUrl: string): Promise<number> {
      const cached = visibilityCache.get(queueUrl);
      if (cached && clock.now() - cached.at < visibilityCacheMs) return cached.sec;
      if (!queue.visibilityTimeoutSec) return defaultVisibilitySec;
      try {
        const sec = await queue.visibilityTimeoutSec(queueUrl);
        visibilityCache.set(queueUrl, { sec, at: clock.now() });
        return sec;
      } catch (error) {
        log.warn("could not read the queue's visibility timeout", { error: describe(error) });
        return cached?.sec ?? defaultVisibilitySec;
      }
    }

    /**
     * Runs the handler while extending its messages' visibility every half
     * visibility timeout, so that a handler running longer than the timeout does
     * not see its messages delivered to another loop meanwhile.
     */
    async function whileExtendingVisibility<T>(
      messages: readonly QueueMessage[],
      work: () => Promise<T>,
    ): Promise<T> {
      const visibilitySec = await visibilitySecOf(event.queueUrl);
      const receipts = messages.map((m) => m.receiptHandle);
      let done = false;
      const finished = work().finally(() => {
        done = true;
      });
      const settled = finished.then(
        () => undefined,
        () => undefined,
      );
      const extender = (async () => {
        if (visibilitySec <= 0) return;
        const intervalMs = Math.max(minIdleMs, (visibilitySec * 1000) / 2);
        while (!done) {
          await Promise.race([clock.sleep(intervalMs), settled]);
          if (done) return;
          try {
            await queue.changeVisibility(event.queueUrl, receipts, visibilitySec);
            log.debug("extended visibility of a running batch", { messages: receipts.length, visibilitySec });
          } catch (error) {
            log.warn("could not extend visibility", { error: describe(error) });
          }
        }
      })();
      try {
        return await finished;
      } finally {
        done = true;
        await extender;
      }
    }

    async function invokeHandler(route: Route, messages: readonly QueueMessage[]): Promise<InvokeResult> {
      const payload = toSqsEvent(messages, event.queueUrl, region);
      for (let attempt = 0; ; attempt++) {
        try {
          return await whileExtendingVisibility(messages, () => invoker.invoke(route.functionName, payload));
        } catch (error) {
          if (isRetryable(error) && attempt + 1 < invokeAttempts) {
            const delay = backoffDelayMs(attempt, retry);
            log.warn("handler invoke failed; retrying", {
              functionName: route.functionName,
              error: describe(error),
            });
            await clock.sleep(delay);
            continue;
          }
          // The batch returns to the queue by visibility timeout, like any failed batch.
          log.error("handler invoke failed; the batch returns to the queue", {
            functionName: route.functionName,
            error: describe(error),
          });
          return { functionError: "InvokeFailed" };
        }
      }
    }

    async function deleteSucceeded(messages: readonly QueueMessage[]): Promise<number> {
      let pending = messages.map((m) => m.receiptHandle);
      for (let attempt = 0; pending.length > 0 && attempt < deleteAttempts; attempt++) {
        if (attempt > 0) await clock.sleep(backoffDelayMs(attempt - 1, retry));
        try {
          pending = await queue.deleteBatch(event.queueUrl, pending);
        } catch (error) {
          log.warn("DeleteMessageBatch failed", { error: describe(error), attempt });
        }
      }
      if (pending.length > 0) {
        log.error("could not delete succeeded messages; they will be delivered again", {
          count: pending.length,
        });
      }
      return pending.length;
    }

    /**
     * Receives and dispatches one batch. Resolves once the handler has answered, with the
     * deletion of the succeeded messages still running: the caller overlaps it with the next
     * heartbeat (DESIGN.md only requires that heartbeat to be verified before the next receive)
     * and must await it before the invocation ends.
     */
    async function cycle(route: Route): Promise<{ deleting: Promise<void> }> {
      outcome.cycles++;
      const messages = await queue.receive(event.queueUrl, {
        maxMessages: Math.min(route.batchSize, 10),
        waitTimeSec: settings.waitTimeSec,
      });
      if (messages.length === 0) return { deleting: settled };
      outcome.received += messages.length;
      const result = await invokeHandler(route, messages);
      const read = readBatchResult(
        messages.map((m) => m.messageId),
        result,
      );
      const failed = fifo ? holdBackAfterGroupFailure(messages, read.failed) : read.failed;
      if (read.verdict !== BatchVerdict.AllSucceeded) {
        log.info("batch had failures; they return to the queue", {
          functionName: route.functionName,
          verdict: read.verdict,
          functionError: result.functionError,
          failed: failed.size,
          messageIds: [...failed],
        });
      }
      const succeeded = messages.filter((m) => !failed.has(m.messageId));
      outcome.failed += failed.size;
      if (succeeded.length === 0) return { deleting: settled };
      const deleting = deleteSucceeded(succeeded).then(
        (undeleted) => {
          outcome.succeeded += succeeded.length - undeleted;
          outcome.undeleted += undeleted;
        },
        (error: unknown) => {
          // deleteSucceeded catches the SDK's errors; this is a bug guard, so the loop still goes on.
          outcome.undeleted += succeeded.length;
          log.error("deleting a batch failed; it will be delivered again", { error: describe(error) });
        },
      );
      return { deleting };
    }

    async function recurse(): Promise<boolean> {
      for (let attempt = 0; attempt < recurseAttempts; attempt++) {
        if (attempt > 0) await clock.sleep(backoffDelayMs(attempt - 1, retry));
        try {
          await starter.start(event);
          return true;
        } catch (error) {
          log.warn("self-invoke failed", { error: describe(error), attempt });
        }
      }
      log.error("self-invoke failed after retries; restart will claim the token once it is stale");
      return false;
    }

    /** The previous batch's DeleteMessageBatch, overlapped with the next heartbeat. */
    let deleting: Promise<void> = settled;
    for (let first = true; ; first = false) {
      const remaining = context.remainingTimeMs();
      if (!first && remaining < cycleBudgetMs) break;
      // The previous batch was handled under a verified lease: its deletion finishes whatever this
      // heartbeat says, and the next receive waits for both (one cycle's messages at a time in flight).
      const [held] = await Promise.all([heartbeat(), deleting]);
      deleting = settled;
      if (held === "unverified") break;
      if (held !== "held") {
        log.info("lease lost; loop ends without recursing", { reason: held });
        return {
          ...outcome,
          status:
            held === LeaseLossReason.TakenOver ? LoopOutcomeStatus.TakenOver : LoopOutcomeStatus.Revoked,
        };
      }
      if (first && remaining < cycleBudgetMs) {
        // A configuration error (poller timeout shorter than one cycle): keep the token alive and
        // recurse at a bounded rate rather than spin, and say so loudly.
        log.error("invocation too short for one full cycle; receiving nothing", {
          remainingMs: remaining,
          cycleBudgetMs,
        });
        await idle(context.remainingTimeMs() - marginMs);
        break;
      }
      try {
        const route = await routes.resolve(event.queueUrl);
        if (!route || route.paused) {
          // The route may come back (or be unpaused); a removed route's token is deleted by
          // reconcile, and then the next heartbeat ends this loop.
          log.debug(route ? "route paused; idling" : "no route; idling");
          await idle(context.remainingTimeMs() - marginMs);
          continue;
        }
        ({ deleting } = await cycle(route));
        consecutiveErrors = 0;
      } catch (error) {
        log.error("cycle failed; the loop goes on", { error: describe(error) });
        await clock.sleep(backoffDelayMs(consecutiveErrors++, retry));
      }
    }

    await deleting;
    const recursed = await recurse();
    return { ...outcome, status: recursed ? LoopOutcomeStatus.Recursed : LoopOutcomeStatus.RecursionFailed };
  }

  return { run };
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: "NonError", message: String(error) };
}
