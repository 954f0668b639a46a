import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import type { BatchOutcome } from "../dispatch/dispatchBatch.js";
import { createVisibilityExtender, type VisibilityTimeoutCache } from "../dispatch/extendVisibility.js";
import { isFifoQueue } from "../dispatch/fifoOrder.js";
import { invokeWindowMs } from "../dispatch/invokeWindow.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import type { FunctionInfoCache } from "../functions/functionInfoCache.js";
import type { MetricsSink } from "../metrics/ports.js";
import type { QueueClient, Receive } from "../queue/ports.js";
import { type BackoffPolicy, backoffDelayMs } from "../retry/backoff.js";
import { queueNameOf } from "../routing/queueName.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import { createAdaptiveConcurrency } from "./adaptiveConcurrency.js";
import { type BatchSlots, createBatchSlots, minIdleMs } from "./batchSlots.js";
import { createFunctionFit } from "./functionFit.js";
import { createHandlerAvailability, Readiness, type RefusingFunctions } from "./handlerAvailability.js";
import { startLaneBatch } from "./laneBatch.js";
import type { LoopInvocation } from "./loopInvocation.js";
import { createReceiveAttempts } from "./receiveAttempts.js";
import { createRouteFitGate } from "./routeFit.js";
import { ensureVisibilityKnown } from "./visibilityKnown.js";

/** The timing a lane keeps to. */
export interface LaneTiming {
  /** Long-poll wait of each receive, ms. */
  waitMs: number;
  /** Slack kept beyond one full cycle before the invocation ends, ms. */
  marginMs: number;
  /** The loop's renewal interval, seconds (for the staleness rule). */
  renewEverySec: number;
  /** Restart's stale threshold, seconds, when the poller knows it. */
  staleAfterSec?: number;
  /** The timeout of a handler function, seconds: a batch started for it must fit it. */
  handlerTimeoutSecOf(functionName: string): number;
  /** Time kept for a handler's cold-start init beyond its timeout, seconds (default Lambda's 10). */
  coldStartAllowanceSec?: number;
}

/** What a lane needs beyond its invocation; the maps are kept across warm invocations. */
export interface QueueLaneDeps {
  queueUrl: string;
  routes: Pick<RouteResolver, "resolve">;
  queue: QueueClient;
  /** The receive its batches gather with (default `queue.receive`). */
  receive: Receive;
  invoker: FunctionInvoker;
  clock: Clock;
  retry: BackoffPolicy;
  metrics: MetricsSink;
  region: string;
  waitTimeSec: number;
  payloadLimitBytes?: number;
  timing: LaneTiming;
  visibilityCache: VisibilityTimeoutCache;
  refusing: RefusingFunctions;
  /** When each queue's budget error was last logged (see {@link createRouteFitGate}). */
  budgetLoggedAt: Map<string, number>;
  /** Makes FIFO receive attempt ids. */
  ids: () => string;
  /** The `blockedReason` the loop's token carried when the invocation began (an earlier invocation's). */
  blockedBefore?: () => Promise<string | undefined>;
  /**
   * The handlers' configuration as Lambda reports it (cached): with it a batch's budget follows the
   * route's function's timeout, and a timeout that no longer fits blocks the lane (see `functionFit.ts`).
   */
  functions?: FunctionInfoCache;
}

/**
 * One queue's share of a loop invocation: its route and whether it fits the loop's timing
 * ({@link createRouteFitGate}), its batch slots (up to the route's
 * `concurrency` batches in the handler), the gathering and dispatch of each batch, and the
 * handling of invokes that did not run its handler (it receives nothing new while a batch waits
 * on one, and probes a refusing function before receiving for it again). An invocation drives
 * one lane per queue it polls; the lease renewal and the time budget are the invocation's.
 */
export interface QueueLane {
  readonly queueUrl: string;
  /** Why this lane's handler cannot be invoked (the token's `blockedReason`); undefined while it can. */
  blockedReason(): string | undefined;
  /** Its batches, for the end of the invocation to wait for. */
  readonly slots: BatchSlots;
  /**
   * Starts batches while the invocation holds its lease and has time for a whole one; resolves
   * when it may start no more (its batches in flight may still be finishing).
   */
  run(): Promise<void>;
}

export function createQueueLane(deps: QueueLaneDeps, invocation: LoopInvocation): QueueLane {
  const { queueUrl, routes, clock, retry, metrics, timing } = deps;
  const { log, outcome } = invocation;
  const { waitMs, marginMs } = timing;
  /** Why the route's function's timeout keeps the lane from receiving; undefined while it fits. */
  let timeoutBlocked: string | undefined;
  const fitOf =
    deps.functions &&
    createFunctionFit({
      functions: deps.functions,
      queue: deps.queue,
      clock,
      logger: log,
      visibilityCache: deps.visibilityCache,
      defaultHandlerMsOf: (functionName) => timing.handlerTimeoutSecOf(functionName) * 1000,
    });
  const queueName = queueNameOf(queueUrl);
  const slots = createBatchSlots(clock);
  const attempts = createReceiveAttempts(isFifoQueue(queueUrl), deps.ids);
  const concurrency = createAdaptiveConcurrency();
  const availability = createHandlerAvailability({
    invoker: deps.invoker,
    clock,
    logger: log,
    metrics,
    queueName,
    concurrency,
    refusing: deps.refusing,
    onBlockedChange: () => invocation.expediteRenewal(),
  });
  const fitGate = createRouteFitGate({
    clock,
    log,
    queueUrl,
    loggedAt: deps.budgetLoggedAt,
    onChange: () => invocation.expediteRenewal(),
    timing: () => ({
      // The invocation's length as Lambda gave it, in whole seconds as the poller's timeout is set.
      timeoutSec: Math.ceil(invocation.lengthMs / 1000),
      waitTimeSec: deps.waitTimeSec,
      marginSec: marginMs / 1000,
      renewEverySec: timing.renewEverySec,
      staleAfterSec: timing.staleAfterSec,
    }),
  });
  const whileExtendingVisibility = createVisibilityExtender({
    queue: deps.queue,
    clock,
    logger: log,
    cache: deps.visibilityCache,
  });

  /** Waits until a batch frees its slot, the lease is due for renewal, or `maxMs` passed. */
  const waitForChange = (maxMs: number) => slots.waitForSlot(Math.min(maxMs, invocation.msUntilRenewal()));

  function account(batch: BatchOutcome): void {
    outcome.succeeded += batch.succeeded;
    outcome.failed += batch.failed;
    outcome.undeleted += batch.undeleted;
    outcome.released += batch.released;
    if (batch.clean) concurrency.clean();
  }

  /** A one-message batch whose invoke tells whether a refusing handler runs again; one at a time. */
  let probing = false;

  const startBatch = (route: Route, handlerMs: number) =>
    startLaneBatch(
      {
        queueUrl,
        queueName,
        fifo: isFifoQueue(queueUrl),
        receive: deps.receive,
        queue: deps.queue,
        invoker: deps.invoker,
        clock,
        retry,
        log,
        metrics,
        region: deps.region,
        waitTimeSec: deps.waitTimeSec,
        payloadLimitBytes: deps.payloadLimitBytes,
        attempts,
        slots,
        whileExtendingVisibility,
        mayStartInvoke: (afterMs) => invocation.remainingMs() - afterMs - marginMs >= handlerMs,
        observer: availability.observerFor(route.functionName),
        stop: invocation.leaseLost,
        notRunHoldSec: (reason) => availability.gaveUp(route.functionName, reason),
        onReceived: (count) => {
          outcome.received += count;
        },
        onDone: (batch) => {
          probing = false;
          account(batch);
        },
      },
      route,
    );

  async function run(): Promise<void> {
    if (deps.blockedBefore) {
      availability.restore(await deps.blockedBefore().catch(() => undefined));
    }
    let consecutiveErrors = 0;
    for (;;) {
      if (!(await invocation.renewIfDue())) return;
      const remaining = invocation.remainingMs();
      let route: Route | undefined;
      try {
        route = await routes.resolve(queueUrl);
      } catch (error) {
        log.error("could not read the route; the loop goes on", { error: describeError(error) });
        const delay = backoffDelayMs(consecutiveErrors++, retry);
        // The next read may fail as long as this one did: end in time to recurse.
        if (invocation.remainingMs() - delay < waitMs + marginMs) return;
        await waitForChange(delay);
        continue;
      }
      if (!route || route.paused) {
        // The route may come back (or be unpaused); a removed route's token is deleted by
        // reconcile, and then the next renewal ends this loop.
        if (remaining < waitMs + marginMs) return;
        log.debug(route ? "route paused; idling" : "no route; idling");
        await waitForChange(Math.max(waitMs, minIdleMs));
        continue;
      }
      // The route's function's timeout: as Lambda reports it (cached) when the lane can read it, so a
      // timeout changed after the deploy is noticed; else the one the registry gave.
      let handlerTimeoutSec = timing.handlerTimeoutSecOf(route.functionName);
      if (fitOf) {
        const fit = await fitOf(queueUrl, route);
        const reason = fit.ok ? undefined : fit.blockedReason;
        if (reason !== timeoutBlocked) {
          timeoutBlocked = reason;
          if (reason !== undefined) {
            log.error("the route's function cannot be given its timeout; receiving nothing", { reason });
          }
          invocation.expediteRenewal();
        }
        if (!fit.ok) {
          if (remaining < waitMs + marginMs) return;
          await waitForChange(Math.max(waitMs, minIdleMs));
          continue;
        }
        handlerTimeoutSec = fit.handlerMs / 1000;
      }
      // A cold start's init comes on top of the handler's timeout: every batch started must fit both.
      const handlerMs = invokeWindowMs(handlerTimeoutSec, timing.coldStartAllowanceSec);
      if (!fitGate.fits(route, handlerMs / 1000)) {
        // A route that can never fit idles like a paused one: the loop renews and recurses, never spins.
        if (remaining < waitMs + marginMs) return;
        await waitForChange(Math.max(waitMs, minIdleMs));
        continue;
      }
      // No batch may start that could not finish (receive, window, handler) before the invocation must recurse.
      if (remaining < waitMs + route.batchWindowSec * 1000 + handlerMs + marginMs) return;
      if (
        probing ||
        availability.waitingBatches() > 0 ||
        slots.inHandler() >= concurrency.limit(route.concurrency)
      ) {
        await waitForChange(Number.POSITIVE_INFINITY);
        continue;
      }
      try {
        await ensureVisibilityKnown(deps.queue, deps.visibilityCache, clock, queueUrl);
      } catch (error) {
        log.warn("could not read the queue's visibility timeout; receiving nothing until it is known", {
          error: describeError(error),
        });
        const delay = backoffDelayMs(consecutiveErrors++, retry);
        if (invocation.remainingMs() - delay < waitMs + marginMs) return;
        await waitForChange(delay);
        continue;
      }
      const readiness = await availability.readiness(route.functionName);
      if (readiness === Readiness.Wait) {
        await waitForChange(backoffDelayMs(consecutiveErrors++, { ...retry, baseMs: minIdleMs }));
        continue;
      }
      outcome.cycles++;
      // A probe risks one message's receive on a handler that may still refuse, never a whole batch.
      probing = readiness === Readiness.Probe;
      const started = await startBatch(
        probing ? { ...route, batchSize: 1, batchWindowSec: 0 } : route,
        handlerMs,
      );
      if ("error" in started || started.received === 0) probing = false;
      outcome.maxInFlight = Math.max(outcome.maxInFlight, slots.inHandler());
      if ("error" in started) {
        log.error("receive failed; the loop goes on", { error: describeError(started.error) });
        await waitForChange(backoffDelayMs(consecutiveErrors++, retry));
        continue;
      }
      consecutiveErrors = 0;
      // A zero long-poll wait idles like an empty long poll would: a plain sleep, since the empty
      // batch's own slot freeing would otherwise cut any wait short.
      if (started.received === 0 && deps.waitTimeSec === 0) {
        await clock.sleep(Math.min(minIdleMs, invocation.msUntilRenewal()));
      }
    }
  }

  return {
    queueUrl,
    slots,
    blockedReason: () => fitGate.blockedReason() ?? availability.blockedReason() ?? timeoutBlocked,
    run,
  };
}
