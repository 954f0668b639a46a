import type { Clock } from "../clock.js";
import type { NotRunObserver } from "../dispatch/invokeHandler.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import { HandlerNotRunError, isPassingNotRun, NotRunReason } from "../errors.js";
import type { Logger } from "../logger.js";
import { type MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { AdaptiveConcurrency } from "./adaptiveConcurrency.js";

/** How often a blocked loop logs its one error line. */
const blockedLogEveryMs = 60_000;

/**
 * Functions an execution environment has seen refuse an invoke, kept across its warm invocations:
 * the loop probes them with a DryRun before it receives for them again, so a missing function does
 * not cost each invocation a received batch.
 */
export type RefusingFunctions = Map<string, NotRunReason>;

/**
 * "An invoke that did not run the handler" (docs/protocol.md), as one invocation of a loop sees it:
 * which batches wait on such a refusal (the loop receives nothing new meanwhile), whether the
 * route is `blocked` and why (the token's `blockedReason`), and the DryRun probe before receiving
 * for a function that refused.
 */
export interface HandlerAvailability {
  /** Why the route's handler cannot be invoked; undefined while it can. */
  blockedReason(): string | undefined;
  /** Batches now waiting on a refusal. */
  waitingBatches(): number;
  /** What a batch's invokes report to. */
  observerFor(functionName: string): NotRunObserver;
  /** True when the loop may receive for `functionName`: it never refused here, or a DryRun passes now. */
  invokable(functionName: string): Promise<boolean>;
}

export interface HandlerAvailabilityDeps {
  invoker: Pick<FunctionInvoker, "probe">;
  clock: Pick<Clock, "monotonic">;
  logger: Pick<Logger, "info" | "error">;
  metrics: MetricsSink;
  queueName: string;
  concurrency: Pick<AdaptiveConcurrency, "throttled">;
  refusing: RefusingFunctions;
  /** Called when the blocked reason changes, so the token shows it at once. */
  onBlockedChange(): void;
}

export function createHandlerAvailability(deps: HandlerAvailabilityDeps): HandlerAvailability {
  const { clock, logger, refusing } = deps;
  let blockedReason: string | undefined;
  let waiting = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;

  function setBlocked(reason: string | undefined, functionName: string): void {
    if (reason !== undefined && clock.monotonic() - loggedAt >= blockedLogEveryMs) {
      loggedAt = clock.monotonic();
      logger.error("the route's handler cannot be invoked; the loop receives nothing until it can", {
        functionName,
        reason,
      });
    }
    if (reason === blockedReason) return;
    if (reason === undefined) logger.info("the route's handler can be invoked again", { functionName });
    blockedReason = reason;
    deps.onBlockedChange();
  }

  function refusedBy(functionName: string, reason: NotRunReason): void {
    refusing.set(functionName, reason);
    if (!isPassingNotRun(reason)) setBlocked(reason, functionName);
  }

  return {
    blockedReason: () => blockedReason,
    waitingBatches: () => waiting,
    observerFor: (functionName) => ({
      refused(reason) {
        const throttled = reason === NotRunReason.Throttled;
        deps.metrics.add(
          deps.queueName,
          throttled ? PollerMetric.HandlerThrottles : PollerMetric.HandlerNotRun,
          1,
        );
        if (throttled) deps.concurrency.throttled();
        else if (!isPassingNotRun(reason)) refusedBy(functionName, reason);
      },
      waiting(isWaiting) {
        waiting += isWaiting ? 1 : -1;
      },
      ran() {
        if (refusing.delete(functionName) || blockedReason !== undefined) setBlocked(undefined, functionName);
      },
    }),
    async invokable(functionName) {
      if (!refusing.has(functionName)) return true;
      try {
        await deps.invoker.probe(functionName);
        refusing.delete(functionName);
        setBlocked(undefined, functionName);
        return true;
      } catch (error) {
        const reason = error instanceof HandlerNotRunError ? error.reason : refusing.get(functionName);
        if (reason !== undefined) refusedBy(functionName, reason);
        return false;
      }
    },
  };
}
