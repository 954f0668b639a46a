import type { Clock } from "../clock.js";
import type { LeaseStore } from "../lease/ports.js";
import type { LoopEvent, LoopState } from "../lease/token.js";
import type { Logger } from "../logger.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import { createHeartbeatWithRetry, type HeartbeatResult } from "./heartbeatWithRetry.js";
import { createLeaseRenewal } from "./leaseRenewal.js";
import { type LoopOutcome, LoopOutcomeStatus } from "./loopOutcome.js";

/** The invocation's time budget (Lambda's `context.getRemainingTimeInMillis()`). */
export interface InvocationContext {
  remainingTimeMs(): number;
  /** Lambda's request id: logged, and the prefix of the invocation's fencing id. */
  requestId?: string;
}

/** A logger whose lines carry the loop's identity (`queueUrl`, `token`, `loopId`, `requestId`, `invocationId`). */
export type LoopLog = Pick<Logger, "debug" | "info" | "warn" | "error">;

/** Why an invocation stopped starting batches before its time ran out. */
export type InvocationEnd = Exclude<HeartbeatResult, "held">;

/**
 * One execution of a loop, shared by every lane it drives: its fencing id, its logger, what it
 * did (the outcome it returns), its time budget, and its lease — one renewal on one timer
 * (docs/protocol.md, "Renew the lease"), however many lanes ask for it. Once a renewal finds the lease lost (or the
 * store unusable, or unverifiable until time ran out) the invocation is {@link ended} and no lane
 * starts another batch.
 */
export interface LoopInvocation {
  readonly event: LoopEvent;
  readonly log: LoopLog;
  /** What this invocation did so far; lanes add to it. */
  readonly outcome: LoopOutcome;
  /** Time left before Lambda ends the invocation, ms. */
  remainingMs(): number;
  /** The time the invocation had when it started, ms: its length as far as the loop can tell. */
  readonly lengthMs: number;
  /** Renews the lease when a renewal is due (concurrent callers share one); false once the invocation ended. */
  renewIfDue(): Promise<boolean>;
  /**
   * Milliseconds until a renewal is due, for a lane that waits: with renewals before every
   * receive (`renewEverySec` 0) none falls due while waiting, so this is endless.
   */
  msUntilRenewal(): number;
  /** Makes the next renewal due at once (the loop's reported state changed). */
  expediteRenewal(): void;
  /** Why the invocation ended; undefined while it holds its lease. */
  ended(): InvocationEnd | undefined;
  /**
   * Aborts when a renewal found the lease lost (or the store unusable): batches stop retrying a
   * handler that refuses and hand their messages back at once, so the token's new owner gets them.
   */
  readonly leaseLost: AbortSignal;
}

export interface LoopInvocationDeps {
  leases: Pick<LeaseStore, "heartbeat" | "listByQueue">;
  clock: Clock;
  retry: BackoffPolicy;
  logger: LoopLog;
  /** Slack kept to recurse, ms: heartbeat retries stop before eating into it. */
  marginMs: number;
  /** Renew when this long passed since the last verified renewal, ms (0: before every receive). */
  renewEveryMs: number;
  /** Makes the random part of the invocation id. */
  ids: () => string;
  /** What the loop reports with each renewal (its blocked reason). */
  state: () => LoopState;
}

export function createLoopInvocation(
  deps: LoopInvocationDeps,
  event: LoopEvent,
  context: InvocationContext,
): LoopInvocation {
  const { clock, renewEveryMs } = deps;
  // Lambda gives a retried async event the same request id, and may give a duplicate delivery
  // the same one too: the random part keeps two executions of one event apart for the fence.
  const invocationId = context.requestId ? `${context.requestId}/${deps.ids().slice(0, 8)}` : deps.ids();
  const fields = {
    queueUrl: event.queueUrl,
    token: event.token,
    loopId: event.loopId,
    requestId: context.requestId,
    invocationId,
  };
  const log: LoopLog = {
    debug: (m, f) => deps.logger.debug(m, { ...fields, ...f }),
    info: (m, f) => deps.logger.info(m, { ...fields, ...f }),
    warn: (m, f) => deps.logger.warn(m, { ...fields, ...f }),
    error: (m, f) => deps.logger.error(m, { ...fields, ...f }),
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
  const remainingMs = () => context.remainingTimeMs();
  const heartbeat = createHeartbeatWithRetry(
    {
      leases: deps.leases,
      clock,
      retry: deps.retry,
      logger: log,
      remainingTimeMs: remainingMs,
      marginMs: deps.marginMs,
      invocationId,
      state: deps.state,
    },
    event,
  );
  const renewal = createLeaseRenewal(heartbeat, clock, renewEveryMs);
  let end: InvocationEnd | undefined;
  let renewing: Promise<boolean> | undefined;
  const lost = new AbortController();

  async function renew(): Promise<boolean> {
    const result = await renewal.renew();
    if (result !== "held") end ??= result;
    // Unverified is not lost: the loop still holds its token as far as it knows, only its time ran out.
    if (result !== "held" && result !== "unverified") lost.abort();
    return result === "held";
  }

  return {
    event,
    log,
    outcome,
    remainingMs,
    lengthMs: remainingMs(),
    async renewIfDue() {
      if (end !== undefined) return false;
      if (renewing) return renewing;
      if (!renewal.due()) return true;
      renewing = renew().finally(() => {
        renewing = undefined;
      });
      return renewing;
    },
    msUntilRenewal: () => (renewEveryMs > 0 ? renewal.msUntilDue() : Number.POSITIVE_INFINITY),
    expediteRenewal: () => renewal.expedite(),
    ended: () => end,
    leaseLost: lost.signal,
  };
}
