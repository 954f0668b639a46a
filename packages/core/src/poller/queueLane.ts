import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import type { BatchOutcome } from "../dispatch/dispatchBatch.js";
import { createVisibilityExtender, type VisibilityTimeoutCache } from "../dispatch/extendVisibility.js";
import { isFifoQueue } from "../dispatch/fifoOrder.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import type { MetricsSink } from "../metrics/ports.js";
import type { QueueClient, Receive } from "../queue/ports.js";
import { type BackoffPolicy, backoffDelayMs } from "../retry/backoff.js";
import { queueNameOf } from "../routing/queueName.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import { createAdaptiveConcurrency } from "./adaptiveConcurrency.js";
import { type BatchSlots, createBatchSlots, minIdleMs } from "./batchSlots.js";
import { createHandlerAvailability, Readiness, type RefusingFunctions } from "./handlerAvailability.js";
import { startLaneBatch } from "./laneBatch.js";
import type { LoopInvocation } from "./loopInvocation.js";

/** The timing a lane keeps to, ms. */
export interface LaneTiming {
  /** Long-poll wait of each receive. */
  waitMs: number;
  /** Slack kept beyond one full cycle before the invocation ends. */
  marginMs: number;
  /** The handler timeout every batch started must fit. */
  handlerMs: number;
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
  /** The `blockedReason` the loop's token carried when the invocation began (an earlier invocation's). */
  blockedBefore?: () => Promise<string | undefined>;
}

/**
 * One queue's share of a loop invocation: its route, its batch slots (up to the route's
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
  const { waitMs, marginMs, handlerMs } = timing;
  const queueName = queueNameOf(queueUrl);
  const slots = createBatchSlots(clock);
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

  const startBatch = (route: Route) =>
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
    for (let first = true; ; first = false) {
      if (!(await invocation.renewIfDue())) return;
      const remaining = invocation.remainingMs();
      if (first && remaining < waitMs + handlerMs + marginMs) {
        // A configuration error (poller timeout shorter than one cycle): keep the token alive and
        // recurse at a bounded rate rather than spin, and say so loudly.
        log.error("invocation too short for one full cycle; receiving nothing", {
          remainingMs: remaining,
          cycleBudgetMs: waitMs + handlerMs + marginMs,
        });
        await clock.sleep(Math.max(0, Math.min(Math.max(waitMs, minIdleMs), remaining - marginMs)));
        return;
      }
      let route: Route | undefined;
      try {
        route = await routes.resolve(queueUrl);
      } catch (error) {
        log.error("could not read the route; the loop goes on", { error: describeError(error) });
        await waitForChange(backoffDelayMs(consecutiveErrors++, retry));
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
      const readiness = await availability.readiness(route.functionName);
      if (readiness === Readiness.Wait) {
        await waitForChange(backoffDelayMs(consecutiveErrors++, { ...retry, baseMs: minIdleMs }));
        continue;
      }
      outcome.cycles++;
      // A probe risks one message's receive on a handler that may still refuse, never a whole batch.
      probing = readiness === Readiness.Probe;
      const started = await startBatch(probing ? { ...route, batchSize: 1, batchWindowSec: 0 } : route);
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

  return { queueUrl, slots, blockedReason: () => availability.blockedReason(), run };
}
