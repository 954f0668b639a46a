import { randomUUID } from "node:crypto";
import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { type BatchOutcome, dispatchBatch } from "../dispatch/dispatchBatch.js";
import { createVisibilityExtender, type VisibilityTimeoutCache } from "../dispatch/extendVisibility.js";
import { isFifoQueue } from "../dispatch/fifoOrder.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import { LeaseLossReason } from "../errors.js";
import type { FunctionInfoCache } from "../functions/functionInfoCache.js";
import type { LeaseStore } from "../lease/ports.js";
import type { LoopEvent } from "../lease/token.js";
import type { Logger } from "../logger.js";
import { discardMetrics, type MetricsSink, PollerMetric } from "../metrics/ports.js";
import { queueNameOf } from "../routing/queueName.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import { createAdaptiveConcurrency } from "./adaptiveConcurrency.js";
import { type BackoffPolicy, backoffDelayMs, defaultBackoff } from "./backoff.js";
import { describeError } from "./describeError.js";
import { createFunctionFit } from "./functionFit.js";
import { gatherBatch } from "./gatherBatch.js";
import { createHandlerAvailability, type RefusingFunctions } from "./handlerAvailability.js";
import { createHeartbeatWithRetry, type HeartbeatResult } from "./heartbeatWithRetry.js";
import { createLeaseRenewal } from "./leaseRenewal.js";
import { type LoopOutcome, LoopOutcomeStatus } from "./loopOutcome.js";
import type { LoopStarter, QueueClient, QueueMessage } from "./ports.js";
import { recurse } from "./recurse.js";

/** Timing of one poller invocation. */
export interface PollerSettings {
  /** Long-poll wait of each ReceiveMessage, seconds (0–20). */
  waitTimeSec: number;
  /** Slack kept beyond one full cycle before the invocation ends, seconds. */
  marginSec: number;
  /** The longest timeout of any handler function, seconds: every batch started must fit it. */
  maxHandlerTimeoutSec: number;
  /**
   * Renew the lease when this long has passed since the last verified renewal, seconds.
   * Default 0: before every receive (the first round's behaviour).
   */
  renewEverySec?: number;
  /** Region for event ARNs when the queue URL's host does not name one (emulators). Default us-east-1. */
  region?: string;
  /** Largest serialized event per handler invoke; default Lambda's synchronous limit (6 MB). */
  payloadLimitBytes?: number;
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
  /** Per-route metrics; default none. */
  metrics?: MetricsSink;
  /** Backoff of heartbeat, delete, invoke and self-invoke retries. */
  retry?: BackoffPolicy;
  /** Makes the random part of invocation ids; default random UUIDs. */
  ids?: () => string;
  /**
   * The handlers' configuration as Lambda reports it (cached): with it a batch's budget follows the
   * route's function's timeout, and a timeout that no longer fits blocks the route (see `functionFit.ts`).
   */
  functions?: FunctionInfoCache;
}

/** The invocation's time budget (Lambda's `context.getRemainingTimeInMillis()`). */
export interface InvocationContext {
  remainingTimeMs(): number;
  /** Lambda's request id: logged, and the prefix of the invocation's fencing id. */
  requestId?: string;
}

export interface Poller {
  /** Runs one invocation of a loop: dispatches while time is left, then recurses unless the lease was lost. */
  run(event: LoopEvent, context: InvocationContext): Promise<LoopOutcome>;
}

const lossStatus = {
  [LeaseLossReason.Revoked]: LoopOutcomeStatus.Revoked,
  [LeaseLossReason.TakenOver]: LoopOutcomeStatus.TakenOver,
  [LeaseLossReason.Superseded]: LoopOutcomeStatus.Superseded,
} as const satisfies Record<LeaseLossReason, LoopOutcomeStatus>;

/** Shortest idle wait, so a zero long-poll wait never spins heartbeats or receives. */
const minIdleMs = 1_000;

/**
 * Creates the poller: the recursive loop of DESIGN.md's token protocol, with the
 * invocation fence of docs/protocol.md (two invocations of one loop: the older ends).
 * One invocation keeps up to the route's `concurrency` batches in the handler at once and
 * receives again as soon as a slot frees; it renews its lease on a timer; a handler that
 * cannot be invoked holds the loop's receives instead of failing batches.
 * Nothing a message or a handler does ends the loop; only losing the lease does, or a
 * tokens table that retrying cannot fix.
 *
 * @example
 * const poller = createPoller({ leases, routes, queue, invoker, starter, clock, logger, settings });
 * await poller.run(event, { remainingTimeMs: () => context.getRemainingTimeInMillis() });
 */
export function createPoller(deps: PollerDeps): Poller {
  const { leases, routes, queue, invoker, starter, clock, settings } = deps;
  const retry = deps.retry ?? defaultBackoff;
  const metrics = deps.metrics ?? discardMetrics;
  const region = settings.region ?? "us-east-1";
  const waitMs = settings.waitTimeSec * 1000;
  const marginMs = settings.marginSec * 1000;
  const defaultHandlerMs = settings.maxHandlerTimeoutSec * 1000;
  const renewEveryMs = (settings.renewEverySec ?? 0) * 1000;
  const visibilityCache: VisibilityTimeoutCache = new Map();
  const ids = deps.ids ?? randomUUID;
  /** Kept across warm invocations of this environment (see {@link RefusingFunctions}). */
  const refusing: RefusingFunctions = new Map();
  const fitOf =
    deps.functions &&
    createFunctionFit({
      functions: deps.functions,
      queue,
      clock,
      logger: deps.logger,
      visibilityCache,
      defaultHandlerMs,
    });

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
      released: 0,
      maxInFlight: 0,
    };
    const queueName = queueNameOf(event.queueUrl);
    const fifo = isFifoQueue(event.queueUrl);
    const remainingMs = () => context.remainingTimeMs();
    const invocationMs = remainingMs();
    /** The time budget of one batch: the route's function's timeout when known, else the deploy-time longest. */
    let handlerMs = defaultHandlerMs;
    /** Why the route's function's timeout keeps the loop from receiving; undefined while it fits. */
    let timeoutBlocked: string | undefined;

    const heartbeat = createHeartbeatWithRetry(
      {
        leases,
        clock,
        retry,
        logger: log,
        remainingTimeMs: remainingMs,
        marginMs,
        invocationId,
        state: () => ({ blockedReason: availability.blockedReason() ?? timeoutBlocked }),
      },
      event,
    );
    const renewal = createLeaseRenewal(heartbeat, clock, renewEveryMs);
    const concurrency = createAdaptiveConcurrency();
    const whileExtendingVisibility = createVisibilityExtender({
      queue,
      clock,
      logger: log,
      cache: visibilityCache,
    });

    const availability = createHandlerAvailability({
      invoker,
      clock,
      logger: log,
      metrics,
      queueName,
      concurrency,
      refusing,
      onBlockedChange: () => renewal.expedite(),
    });

    /** Batches in the handler (a slot each); a slot frees when its handler answered. */
    const inFlight = new Set<Promise<void>>();
    /** Every batch until its deletes are done: awaited before the invocation ends. */
    const unfinished = new Set<Promise<void>>();
    /** Waits until a batch finishes, the lease is due for renewal, or `maxMs` passed. */
    async function waitForChange(maxMs: number): Promise<void> {
      // With renewEverySec 0 a renewal is always due before the next receive, never while waiting.
      let ms = renewEveryMs > 0 ? Math.min(maxMs, renewal.msUntilDue()) : maxMs;
      if (inFlight.size === 0 && !Number.isFinite(ms)) ms = minIdleMs;
      if (!Number.isFinite(ms)) return void (await Promise.race(inFlight));
      const woken = new AbortController();
      await Promise.race([...inFlight, clock.sleep(Math.max(0, ms), woken.signal)]);
      woken.abort();
    }

    function account(batch: BatchOutcome): void {
      outcome.succeeded += batch.succeeded;
      outcome.failed += batch.failed;
      outcome.undeleted += batch.undeleted;
      outcome.released += batch.released;
      if (batch.clean) concurrency.clean();
    }

    /**
     * Starts one batch: its receive (and batching window), then its dispatch in the background.
     * Resolves with how many messages it received once the receiving is over, so the loop can
     * receive again while this batch is in the handler.
     */
    function startBatch(route: Route): Promise<{ received: number } | { error: unknown }> {
      const held: QueueMessage[] = [];
      let announce!: (r: { received: number } | { error: unknown }) => void;
      const gathered = new Promise<{ received: number } | { error: unknown }>((resolve) => {
        announce = resolve;
      });
      let freeSlot!: () => void;
      const slot = new Promise<void>((resolve) => {
        freeSlot = resolve;
      });
      const done = whileExtendingVisibility(event.queueUrl, held, async () => {
        try {
          await gatherBatch(
            { queue, clock, logger: log },
            event.queueUrl,
            {
              batchSize: route.batchSize,
              windowSec: route.batchWindowSec,
              waitTimeSec: settings.waitTimeSec,
            },
            held,
          );
        } catch (error) {
          announce({ error });
          return;
        }
        announce({ received: held.length });
        if (held.length === 0) return;
        outcome.received += held.length;
        metrics.add(queueName, PollerMetric.MessagesReceived, held.length);
        metrics.add(queueName, PollerMetric.BatchesInFlight, inFlight.size);
        const batch = await dispatchBatch(
          {
            invoker,
            queue,
            clock,
            retry,
            logger: log,
            metrics,
            region,
            payloadLimitBytes: settings.payloadLimitBytes,
            mayStartInvoke: (afterMs) => remainingMs() - afterMs - marginMs >= handlerMs,
            observer: availability.observerFor(route.functionName),
            onHandled: () => {
              // The handler is done: failed records return by their visibility timeout and the rest
              // are released or deleted now, so none needs extending any more.
              held.length = 0;
              freeSlot();
            },
          },
          event.queueUrl,
          queueName,
          route.functionName,
          [...held],
          fifo,
        );
        account(batch);
      }).catch((error: unknown) => {
        // dispatchBatch never throws; this guards against a bug, so the loop still goes on.
        announce({ error });
        log.error("a batch failed unexpectedly; its messages return to the queue", {
          error: describeError(error),
        });
      });
      const finished = done.finally(freeSlot);
      inFlight.add(slot);
      unfinished.add(finished);
      void slot.then(() => inFlight.delete(slot));
      void finished.then(() => unfinished.delete(finished));
      return gathered;
    }

    let ended: Exclude<HeartbeatResult, "held"> | undefined;
    let consecutiveErrors = 0;
    for (let first = true; ; first = false) {
      if (renewal.due()) {
        const held = await renewal.renew();
        if (held !== "held") {
          ended = held;
          break;
        }
      }
      const remaining = remainingMs();
      if (first && remaining < waitMs + handlerMs + marginMs) {
        // A configuration error (poller timeout shorter than one cycle): keep the token alive and
        // recurse at a bounded rate rather than spin, and say so loudly.
        log.error("invocation too short for one full cycle; receiving nothing", {
          remainingMs: remaining,
          cycleBudgetMs: waitMs + handlerMs + marginMs,
        });
        await clock.sleep(Math.max(0, Math.min(Math.max(waitMs, minIdleMs), remaining - marginMs)));
        break;
      }
      let route: Route | undefined;
      try {
        route = await routes.resolve(event.queueUrl);
      } catch (error) {
        log.error("could not read the route; the loop goes on", { error: describeError(error) });
        await waitForChange(backoffDelayMs(consecutiveErrors++, retry));
        continue;
      }
      if (!route || route.paused) {
        // The route may come back (or be unpaused); a removed route's token is deleted by
        // reconcile, and then the next renewal ends this loop.
        if (remaining < waitMs + marginMs) break;
        log.debug(route ? "route paused; idling" : "no route; idling");
        await waitForChange(Math.max(waitMs, minIdleMs));
        continue;
      }
      if (fitOf) {
        const fit = await fitOf(event.queueUrl, route);
        let reason = fit.ok ? undefined : fit.blockedReason;
        const cycleMs = waitMs + route.batchWindowSec * 1000 + (fit.ok ? fit.handlerMs : 0) + marginMs;
        if (fit.ok && invocationMs < cycleMs) {
          reason = `function-timeout: the timeout of function '${route.functionName}' (${fit.handlerMs / 1000}s) does not fit one poller cycle (${Math.floor(invocationMs / 1000)}s left in an invocation, ${cycleMs / 1000}s needed)`;
        }
        if (reason !== timeoutBlocked) {
          timeoutBlocked = reason;
          if (reason !== undefined)
            log.error("the route's function cannot be given its timeout; receiving nothing", { reason });
          renewal.expedite();
        }
        if (reason !== undefined || !fit.ok) {
          if (remaining < waitMs + marginMs) break;
          await waitForChange(Math.max(waitMs, minIdleMs));
          continue;
        }
        handlerMs = fit.handlerMs;
      }
      // No batch may start that could not finish (receive, window, handler) before the invocation must recurse.
      if (remaining < waitMs + route.batchWindowSec * 1000 + handlerMs + marginMs) break;
      if (availability.waitingBatches() > 0 || inFlight.size >= concurrency.limit(route.concurrency)) {
        await waitForChange(Number.POSITIVE_INFINITY);
        continue;
      }
      if (!(await availability.invokable(route.functionName))) {
        await waitForChange(backoffDelayMs(consecutiveErrors++, { ...retry, baseMs: minIdleMs }));
        continue;
      }
      outcome.cycles++;
      const started = await startBatch(route);
      outcome.maxInFlight = Math.max(outcome.maxInFlight, inFlight.size);
      if ("error" in started) {
        log.error("receive failed; the loop goes on", { error: describeError(started.error) });
        await waitForChange(backoffDelayMs(consecutiveErrors++, retry));
        continue;
      }
      consecutiveErrors = 0;
      // A zero long-poll wait idles like an empty long poll would: a plain sleep, since the empty
      // batch's own slot freeing would otherwise cut any wait short.
      if (started.received === 0 && settings.waitTimeSec === 0) {
        await clock.sleep(renewEveryMs > 0 ? Math.min(minIdleMs, renewal.msUntilDue()) : minIdleMs);
      }
    }

    // Batches in flight finish and delete what succeeded whatever ended the loop: they were
    // received under a verified lease, and message safety rests on visibility, not on the lease.
    // A loop that still holds its lease goes on renewing meanwhile, so a long handler at the end
    // of an invocation never lets the token go stale.
    while (unfinished.size > 0) {
      if (ended === undefined && renewEveryMs > 0 && renewal.due()) {
        const held = await renewal.renew();
        if (held !== "held") ended = held;
        continue;
      }
      const woken = new AbortController();
      const ms = ended === undefined && renewEveryMs > 0 ? renewal.msUntilDue() : Number.POSITIVE_INFINITY;
      await Promise.race([
        Promise.all([...unfinished]),
        ...(Number.isFinite(ms) ? [clock.sleep(ms, woken.signal)] : []),
      ]);
      woken.abort();
    }

    if (ended === "unusable") return { ...outcome, status: LoopOutcomeStatus.StoreUnusable };
    if (ended !== undefined && ended !== "unverified") {
      log.info("lease lost; loop ends without recursing", { reason: ended });
      metrics.add(queueName, PollerMetric.LeaseLosses, 1);
      metrics.flush();
      return { ...outcome, status: lossStatus[ended] };
    }
    const recursed = await recurse(
      {
        starter,
        clock,
        retry,
        logger: log,
        remainingTimeMs: remainingMs,
        reserveMs: Math.min(250, marginMs / 4),
      },
      event,
    );
    if (recursed) metrics.add(queueName, PollerMetric.Recursions, 1);
    metrics.flush();
    return { ...outcome, status: recursed ? LoopOutcomeStatus.Recursed : LoopOutcomeStatus.RecursionFailed };
  }

  return { run };
}
