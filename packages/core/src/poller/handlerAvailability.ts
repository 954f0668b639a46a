import type { Clock } from "../clock.js";
import type { NotRunObserver } from "../dispatch/invokeHandler.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import { HandlerNotRunError, isPassingNotRun, NotRunReason } from "../errors.js";
import type { Logger } from "../logger.js";
import { type MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { AdaptiveConcurrency } from "./adaptiveConcurrency.js";

/** How often a blocked loop logs its one error line. */
const blockedLogEveryMs = 60_000;
/** The first wait before a blocked loop probes again; doubled per failed probe up to {@link probeBackoffMaxMs}. */
const probeBackoffBaseMs = 5_000;
const probeBackoffMaxMs = 300_000;
/**
 * A batch handed back while blocked stays invisible this many backoffs: longer than the wait
 * before the next probe, so that probe does not take the same messages again.
 */
const holdBackoffs = 2;

/** Reasons a passing DryRun proves fixed: the function exists and the poller may invoke it. */
const dryRunProves: ReadonlySet<NotRunReason> = new Set([NotRunReason.NotFound, NotRunReason.Denied]);

/** What an environment remembers of a function that refused: why, and when to probe it next. */
export interface Refusal {
  reason: NotRunReason;
  /** Probes that failed since the refusal (the backoff doubles with each). */
  failedProbes: number;
  /** Monotonic ms before which the loop does not probe (nor receive for the function). */
  probeAfter: number;
}

/**
 * Functions an execution environment has seen refuse an invoke, kept across its warm invocations:
 * the loop probes them before it receives for them again, so a refusing function does not cost
 * each invocation a received batch.
 */
export type RefusingFunctions = Map<string, Refusal>;

/** Whether the loop may receive for a function now. */
export const Readiness = {
  /** Nothing refused: receive as usual. */
  Invokable: "invokable",
  /**
   * It refused, and only a real invoke can tell whether it runs again (throttled, not ready, KMS,
   * misconfigured: a DryRun passes for those): receive one message, and its invoke is the probe.
   */
  Probe: "probe",
  /** It refuses (or its backoff has not passed): receive nothing. */
  Wait: "wait",
} as const;
export type Readiness = (typeof Readiness)[keyof typeof Readiness];

/**
 * "An invoke that did not run the handler" (docs/protocol.md), as one invocation of a loop sees it:
 * which batches wait on such a refusal (the loop receives nothing new meanwhile), whether the
 * route is `blocked` and why (the token's `blockedReason`), and the probe before receiving for a
 * function that refused: a DryRun where that proves the fix (missing function, access denied),
 * otherwise — after a backoff that doubles per failed probe — a single message whose real
 * invoke is the proof.
 */
export interface HandlerAvailability {
  /** Why the route's handler cannot be invoked; undefined while it can. */
  blockedReason(): string | undefined;
  /** Batches now waiting on a refusal. */
  waitingBatches(): number;
  /** What a batch's invokes report to. */
  observerFor(functionName: string): NotRunObserver;
  /** Whether the loop may receive for `functionName` now, and how much. */
  readiness(functionName: string): Promise<Readiness>;
  /**
   * A batch for `functionName` gave up (its handler kept refusing until the invocation's time ran
   * out): the route is blocked until a probe passes. Returns how long the handed-back batch stays
   * invisible, seconds.
   */
  gaveUp(functionName: string, reason: NotRunReason): number;
  /**
   * What the token said when the invocation began (`blockedReason` of an earlier invocation,
   * perhaps in another environment): a loop that was blocked stays so until a probe passes.
   */
  restore(blockedReason: string | undefined): void;
}

export interface HandlerAvailabilityDeps {
  invoker: Pick<FunctionInvoker, "probe">;
  clock: Pick<Clock, "monotonic">;
  logger: Pick<Logger, "info" | "warn" | "error">;
  metrics: MetricsSink;
  queueName: string;
  concurrency: Pick<AdaptiveConcurrency, "throttled">;
  refusing: RefusingFunctions;
  /** Called when the blocked reason changes, so the token shows it at once. */
  onBlockedChange(): void;
}

const notRunReasons: ReadonlySet<string> = new Set(Object.values(NotRunReason));

export function createHandlerAvailability(deps: HandlerAvailabilityDeps): HandlerAvailability {
  const { clock, logger, refusing } = deps;
  let blockedReason: string | undefined;
  let restored: NotRunReason | undefined;
  let waiting = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;

  function setBlocked(reason: string | undefined, functionName: string): void {
    if (reason !== undefined && clock.monotonic() - loggedAt >= blockedLogEveryMs) {
      loggedAt = clock.monotonic();
      logger.error("the route's handler cannot be invoked; the loop receives nothing until a probe passes", {
        functionName,
        reason,
      });
    }
    if (reason === blockedReason) return;
    if (reason === undefined) logger.info("the route's handler can be invoked again", { functionName });
    blockedReason = reason;
    deps.onBlockedChange();
  }

  const backoffMs = (failedProbes: number) =>
    Math.min(probeBackoffMaxMs, probeBackoffBaseMs * 2 ** Math.min(failedProbes, 20));

  function refusedBy(functionName: string, reason: NotRunReason, failedProbes: number): Refusal {
    const refusal = { reason, failedProbes, probeAfter: clock.monotonic() + backoffMs(failedProbes) };
    refusing.set(functionName, refusal);
    setBlocked(reason, functionName);
    return refusal;
  }

  function cleared(functionName: string): void {
    restored = undefined;
    if (refusing.delete(functionName) || blockedReason !== undefined) setBlocked(undefined, functionName);
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
        // Only an operator fixes these: blocked at once. A passing refusal blocks once a batch gives up on it.
        if (!isPassingNotRun(reason) && !refusing.has(functionName)) refusedBy(functionName, reason, 0);
      },
      waiting(isWaiting) {
        waiting += isWaiting ? 1 : -1;
      },
      ran() {
        cleared(functionName);
      },
    }),
    gaveUp(functionName, reason) {
      const before = refusing.get(functionName);
      const refusal = refusedBy(functionName, reason, before ? before.failedProbes + 1 : 0);
      return Math.ceil((backoffMs(refusal.failedProbes) * holdBackoffs) / 1000);
    },
    restore(reason) {
      restored = reason !== undefined && notRunReasons.has(reason) ? (reason as NotRunReason) : undefined;
    },
    async readiness(functionName) {
      if (restored !== undefined && !refusing.has(functionName)) {
        // Blocked in an earlier invocation this environment did not run: probe before receiving.
        refusedBy(functionName, restored, 0);
        restored = undefined;
      }
      const refusal = refusing.get(functionName);
      if (!refusal) return Readiness.Invokable;
      if (clock.monotonic() < refusal.probeAfter) return Readiness.Wait;
      try {
        await deps.invoker.probe(functionName);
      } catch (error) {
        const reason = error instanceof HandlerNotRunError ? error.reason : refusal.reason;
        refusedBy(functionName, reason, refusal.failedProbes + 1);
        return Readiness.Wait;
      }
      if (dryRunProves.has(refusal.reason)) {
        cleared(functionName);
        return Readiness.Invokable;
      }
      // A DryRun passes for a throttled, not-ready or misconfigured function alike: not proof.
      return Readiness.Probe;
    },
  };
}
