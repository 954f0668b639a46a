import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import { HandlerNotRunError, isPassingNotRun, type NotRunReason } from "../errors.js";
import type { Logger } from "../logger.js";
import { type BackoffPolicy, backoffDelayMs } from "../retry/backoff.js";
import type { FunctionInvoker, InvokeResult } from "./ports.js";

/** How one chunk's invoke ended. */
export type InvokeAttempt =
  /** The handler ran and answered (its response may still fail records). */
  | { kind: "answered"; result: InvokeResult; durationMs: number }
  /** The handler may have run (reset, timeout, 5xx): not re-invoked; the records return by visibility timeout. */
  | { kind: "ambiguous"; error: unknown }
  /** Lambda kept refusing before the handler ran until no invoke could finish in time: nothing ran. */
  | { kind: "not-run"; reason: NotRunReason };

/** What the loop learns from a batch's invokes (blocked state, adaptive concurrency). */
export interface NotRunObserver {
  /** An invoke did not run the handler (called once per refusal). */
  refused(reason: NotRunReason): void;
  /** The batch starts (`true`) or stops (`false`: its invoke ran, or it gave up) waiting on refusals. */
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
}

/**
 * DESIGN.md step 3's invoke: runs the handler synchronously with one chunk of the batch.
 * A refusal before the handler ran (throttle, missing function, denied, not ready, KMS) uses
 * none of the batch's receives: the invoke is retried with jittered backoff while the caller
 * keeps the batch invisible, probing with `DryRun` first when only an operator can fix the
 * cause (missing function, denied), until no retry could finish in time. An error after the
 * request was sent is ambiguous and never retried: the handler may have run.
 */
export async function invokeUntilRun(
  deps: InvokeHandlerDeps,
  functionName: string,
  payloadJson: string,
): Promise<InvokeAttempt> {
  let waiting = false;
  let reason: NotRunReason | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      if (reason !== undefined && !isPassingNotRun(reason)) {
        // Only an operator can fix this: ask Lambda with a DryRun before sending the batch again.
        try {
          await deps.invoker.probe(functionName);
        } catch (error) {
          if (error instanceof HandlerNotRunError) reason = error.reason;
          const delay = backoffDelayMs(attempt, deps.retry);
          if (!deps.mayStartInvoke(delay)) return { kind: "not-run", reason };
          await deps.clock.sleep(delay);
          continue;
        }
      }
      const startedAt = deps.clock.monotonic();
      try {
        const result = await deps.invoker.invoke(functionName, payloadJson);
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
        if (!waiting) deps.observer.waiting(true);
        waiting = true;
        const delay = backoffDelayMs(attempt, deps.retry);
        if (!deps.mayStartInvoke(delay)) {
          deps.logger.warn("handler still not invokable and no time left to retry; the batch is released", {
            functionName,
            reason,
          });
          return { kind: "not-run", reason };
        }
        await deps.clock.sleep(delay);
      }
    }
  } finally {
    if (waiting) deps.observer.waiting(false);
  }
}
