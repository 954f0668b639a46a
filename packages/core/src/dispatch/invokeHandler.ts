import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import { HandlerNotRunError, isPassingNotRun, type NotRunReason } from "../errors.js";
import type { Logger } from "../logger.js";
import { type BackoffPolicy, backoffDelayMs } from "../retry/backoff.js";
import type { FunctionInvoker, InvokeResult } from "./ports.js";

/**
 * How long an invoke may go unrefused before it counts as accepted: Lambda refuses (throttle, not
 * ready, …) before the handler starts, within a round trip, so an invoke still open after this is
 * running the handler.
 */
export const invokeAcceptedAfterMs = 1_000;

/** How one chunk's invoke ended. */
export type InvokeAttempt =
  /** The handler ran and answered (its response may still fail records). */
  | { kind: "answered"; result: InvokeResult; durationMs: number }
  /** The handler may have run (reset, timeout, 5xx): not re-invoked; the records return by visibility timeout. */
  | { kind: "ambiguous"; error: unknown }
  /**
   * Nothing ran: Lambda kept refusing until no invoke could finish in time, or the caller stopped
   * the retries (`stop`, e.g. the loop lost its lease).
   */
  | { kind: "not-run"; reason: NotRunReason | undefined; stopped?: boolean };

/** What the loop learns from a batch's invokes (blocked state, adaptive concurrency). */
export interface NotRunObserver {
  /** An invoke did not run the handler (called once per refusal). */
  refused(reason: NotRunReason): void;
  /**
   * The batch starts (`true`) or stops (`false`: a retried invoke was accepted, or it gave up)
   * waiting on refusals. The loop receives nothing new while a batch waits.
   */
  waiting(isWaiting: boolean): void;
  /** An invoke of the function ran the handler. */
  ran(): void;
}

export interface InvokeHandlerDeps {
  invoker: FunctionInvoker;
  clock: Pick<Clock, "sleep" | "monotonic">;
  /** Backoff between attempts of an invoke that did not run. */
  retry: BackoffPolicy;
  logger: Pick<Logger, "warn" | "error">;
  /** Whether an invoke started `afterMs` from now could still finish before the invocation must recurse. */
  mayStartInvoke(afterMs: number): boolean;
  observer: NotRunObserver;
  /** Aborted when the batch must stop retrying at once (the loop lost its lease): it returns not-run. */
  stop?: AbortSignal;
}

/**
 * The invoke of docs/protocol.md's "Receive and dispatch": runs the handler synchronously with one chunk of the batch.
 * A refusal before the handler ran (throttle, missing function, denied, not ready, KMS) uses
 * none of the batch's receives: the invoke is retried with jittered backoff while the caller
 * keeps the batch invisible, probing with `DryRun` first when only an operator can fix the
 * cause (missing function, denied), until no retry could finish in time or `stop` aborts. A batch
 * waits (the loop receives nothing new) from its first refusal until a retry is accepted, not
 * until that retry returns: once the handler runs, the loop may receive again. An error after the
 * request was sent is ambiguous and never retried: the handler may have run.
 */
export async function invokeUntilRun(
  deps: InvokeHandlerDeps,
  functionName: string,
  payloadJson: string,
): Promise<InvokeAttempt> {
  let waiting = false;
  const setWaiting = (isWaiting: boolean) => {
    if (waiting === isWaiting) return;
    waiting = isWaiting;
    deps.observer.waiting(isWaiting);
  };
  let reason: NotRunReason | undefined;
  const stopped = () => deps.stop?.aborted === true;
  /** Sleeps out a retry's backoff; false when no retry could finish in time or the retries must stop. */
  const backOff = async (attempt: number): Promise<boolean> => {
    const delay = backoffDelayMs(attempt, deps.retry);
    if (stopped() || !deps.mayStartInvoke(delay)) return false;
    await deps.clock.sleep(delay, deps.stop);
    return !stopped();
  };
  try {
    for (let attempt = 0; ; attempt++) {
      if (stopped()) return { kind: "not-run", reason, stopped: true };
      if (reason !== undefined && !isPassingNotRun(reason)) {
        // Only an operator can fix this: ask Lambda with a DryRun before sending the batch again.
        // A DryRun that passes proves only that the function exists and may be invoked; the
        // batch's own invoke below is the proof that it runs.
        try {
          await deps.invoker.probe(functionName);
        } catch (error) {
          if (error instanceof HandlerNotRunError) reason = error.reason;
          if (!(await backOff(attempt))) return { kind: "not-run", reason, stopped: stopped() };
          continue;
        }
      }
      const startedAt = deps.clock.monotonic();
      const invoking = deps.invoker.invoke(functionName, payloadJson);
      if (waiting) void acceptedUnlessRefused(deps.clock, invoking).then((ok) => ok && setWaiting(false));
      try {
        const result = await invoking;
        deps.observer.ran();
        return { kind: "answered", result, durationMs: deps.clock.monotonic() - startedAt };
      } catch (error) {
        if (!(error instanceof HandlerNotRunError)) {
          deps.logger.error("handler invoke failed after it was sent; the batch returns to the queue", {
            functionName,
            error: describeError(error),
          });
          return { kind: "ambiguous", error };
        }
        reason = error.reason;
        deps.observer.refused(reason);
        setWaiting(true);
        if (!(await backOff(attempt))) {
          if (!stopped()) {
            deps.logger.warn("handler still not invokable and no time left to retry; the batch is released", {
              functionName,
              reason,
            });
          }
          return { kind: "not-run", reason, stopped: stopped() };
        }
      }
    }
  } finally {
    setWaiting(false);
  }
}

/** Resolves true once `invoking` has gone {@link invokeAcceptedAfterMs} without being refused. */
async function acceptedUnlessRefused(
  clock: Pick<Clock, "sleep">,
  invoking: Promise<unknown>,
): Promise<boolean> {
  const settled = new AbortController();
  void invoking.then(
    () => settled.abort(),
    () => settled.abort(),
  );
  await clock.sleep(invokeAcceptedAfterMs, settled.signal);
  return !settled.signal.aborted;
}
