import { randomUUID } from "node:crypto";
import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { BatchVerdict, readBatchResult } from "../dispatch/batchResult.js";
import { deleteSucceeded } from "../dispatch/deleteSucceeded.js";
import { createVisibilityExtender, type VisibilityTimeoutCache } from "../dispatch/extendVisibility.js";
import { holdBackAfterGroupFailure, isFifoQueue } from "../dispatch/fifoOrder.js";
import { invokeHandler } from "../dispatch/invokeHandler.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import { LeaseLossReason } from "../errors.js";
import type { LeaseStore } from "../lease/ports.js";
import type { LoopEvent } from "../lease/token.js";
import type { Logger } from "../logger.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import { type BackoffPolicy, backoffDelayMs, defaultBackoff } from "./backoff.js";
import { describeError } from "./describeError.js";
import { createHeartbeatWithRetry } from "./heartbeatWithRetry.js";
import { type LoopOutcome, LoopOutcomeStatus } from "./loopOutcome.js";
import type { LoopStarter, QueueClient, QueueMessage } from "./ports.js";
import { recurse } from "./recurse.js";

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
  /** Makes the random part of invocation ids; default random UUIDs. */
  ids?: () => string;
}

/** The invocation's time budget (Lambda's `context.getRemainingTimeInMillis()`). */
export interface InvocationContext {
  remainingTimeMs(): number;
  /** Lambda's request id: logged, and the prefix of the invocation's fencing id. */
  requestId?: string;
}

export interface Poller {
  /** Runs one invocation of a loop: cycles while time is left, then recurses unless the lease was lost. */
  run(event: LoopEvent, context: InvocationContext): Promise<LoopOutcome>;
}

const lossStatus = {
  [LeaseLossReason.Revoked]: LoopOutcomeStatus.Revoked,
  [LeaseLossReason.TakenOver]: LoopOutcomeStatus.TakenOver,
  [LeaseLossReason.Superseded]: LoopOutcomeStatus.Superseded,
} as const satisfies Record<LeaseLossReason, LoopOutcomeStatus>;

/** Shortest idle wait, so a zero long-poll wait never spins heartbeats. */
const minIdleMs = 1_000;
const settled: Promise<void> = Promise.resolve();

/**
 * Creates the poller: the recursive loop of DESIGN.md's token protocol, with the
 * invocation fence of docs/protocol.md (two invocations of one loop: the older ends).
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
  const visibilityCache: VisibilityTimeoutCache = new Map();
  const ids = deps.ids ?? randomUUID;

  async function run(event: LoopEvent, context: InvocationContext): Promise<LoopOutcome> {
    // Lambda gives a retried async event the same request id, and may give a duplicate delivery
    // the same one too: the random part keeps two executions of one event apart for the fence.
    const invocationId = context.requestId ? `${context.requestId}/${ids().slice(0, 8)}` : ids();
    const fields = {
      queueUrl: event.queueUrl,
      token: event.token,
      loopId: event.loopId,
      requestId: context.requestId,
      invocationId,
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

    const heartbeat = createHeartbeatWithRetry(
      {
        leases,
        clock,
        retry,
        logger: log,
        remainingTimeMs: () => context.remainingTimeMs(),
        marginMs,
        invocationId,
      },
      event,
    );
    const whileExtendingVisibility = createVisibilityExtender({
      queue,
      clock,
      logger: log,
      cache: visibilityCache,
    });
    const dispatchDeps = {
      invoker,
      clock,
      retry,
      logger: log,
      region,
      whileExtendingVisibility: <T>(messages: readonly QueueMessage[], work: () => Promise<T>) =>
        whileExtendingVisibility(event.queueUrl, messages, work),
    };

    const deleteDeps = { queue, clock, retry, logger: log };

    async function idle(maxMs: number): Promise<void> {
      const ms = Math.max(0, Math.min(Math.max(waitMs, minIdleMs), maxMs));
      if (ms > 0) await clock.sleep(ms);
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
      const result = await invokeHandler(dispatchDeps, event.queueUrl, route, messages);
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
      const deleting = deleteSucceeded(deleteDeps, event.queueUrl, succeeded).then(
        (undeleted) => {
          outcome.succeeded += succeeded.length - undeleted;
          outcome.undeleted += undeleted;
        },
        (error: unknown) => {
          // deleteSucceeded catches the SDK's errors; this is a bug guard, so the loop still goes on.
          outcome.undeleted += succeeded.length;
          log.error("deleting a batch failed; it will be delivered again", { error: describeError(error) });
        },
      );
      return { deleting };
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
        return { ...outcome, status: lossStatus[held] };
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
        log.error("cycle failed; the loop goes on", { error: describeError(error) });
        await clock.sleep(backoffDelayMs(consecutiveErrors++, retry));
      }
    }

    await deleting;
    const recursed = await recurse({ starter, clock, retry, logger: log }, event);
    return { ...outcome, status: recursed ? LoopOutcomeStatus.Recursed : LoopOutcomeStatus.RecursionFailed };
  }

  return { run };
}
