import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import { isTerminalStoreError, type LeaseLossReason, LeaseLostError } from "../errors.js";
import type { LeaseStore } from "../lease/ports.js";
import type { LoopEvent, LoopState } from "../lease/token.js";
import type { Logger } from "../logger.js";
import { type BackoffPolicy, backoffDelayMs } from "../retry/backoff.js";
import { leaseLossReason } from "./leaseLossReason.js";

/**
 * What one heartbeat found: the lease is `held` (verified), `unverified` (the store
 * kept failing until the invocation ran out of time), `unusable` (the store refused in a
 * way retrying cannot fix: validation, access denied, table not found), or lost for a reason.
 */
export type HeartbeatResult = "held" | "unverified" | "unusable" | LeaseLossReason;

export interface HeartbeatWithRetryDeps {
  leases: Pick<LeaseStore, "heartbeat" | "listByQueue">;
  clock: Clock;
  retry: BackoffPolicy;
  logger: Pick<Logger, "warn" | "error">;
  /** The invocation's remaining time, ms. */
  remainingTimeMs: () => number;
  /** Time that must stay left to recurse; retrying stops before eating into it. */
  marginMs: number;
  /**
   * This invocation's id for the invocation fence (docs/protocol.md); unique per execution.
   * Without it the heartbeat is conditioned on the loopId alone.
   */
  invocationId?: string;
  /** What the loop reports with each heartbeat (its blocked reason); omitted: nothing. */
  state?: () => LoopState;
}

/**
 * The heartbeat (docs/protocol.md, "Renew the lease"): a conditional `SET lastUsed`,
 * retried with jittered backoff on any error but a failed condition. A failed
 * condition is final (see {@link leaseLossReason}); errors until the invocation runs
 * out of time give `unverified`, and the caller processes nothing but still recurses,
 * since a loop must never end only because the store was unreachable.
 *
 * With an `invocationId`, the first heartbeat to succeed takes the token's invocation slot
 * and every later one requires it (the invocation fence): of two invocations of one loop,
 * the older ends at its next heartbeat, `superseded`. The first heartbeat counts as first
 * until it succeeds, so a retry after a timeout whose write landed writes the same id again.
 *
 * @example
 * const heartbeat = createHeartbeatWithRetry({ leases, clock, retry, logger, remainingTimeMs, marginMs }, event);
 * if ((await heartbeat()) === "held") await receiveAndDispatch();
 */
export function createHeartbeatWithRetry(
  deps: HeartbeatWithRetryDeps,
  lease: LoopEvent,
): () => Promise<HeartbeatResult> {
  const { leases, clock, retry, logger, invocationId } = deps;
  let slotTaken = false;
  return async function heartbeat(): Promise<HeartbeatResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        const fence = invocationId === undefined ? undefined : { invocationId, first: !slotTaken };
        const state = deps.state?.();
        await (state === undefined
          ? leases.heartbeat(lease, clock.now(), fence)
          : leases.heartbeat(lease, clock.now(), fence, state));
        slotTaken = true;
        return "held";
      } catch (error) {
        if (error instanceof LeaseLostError) return leaseLossReason({ leases, logger }, lease);
        if (isTerminalStoreError(error)) {
          logger.error("the tokens table refused the heartbeat in a way retrying cannot fix; the loop ends", {
            error: describeError(error),
          });
          return "unusable";
        }
        const delay = backoffDelayMs(attempt, retry);
        // Give up only when retrying would eat the time needed to recurse; the next invocation tries again.
        if (deps.remainingTimeMs() - delay < deps.marginMs) {
          logger.error("heartbeat failed until the invocation ran out of time; recursing unverified", {
            error: describeError(error),
            attempts: attempt + 1,
          });
          return "unverified";
        }
        logger.warn("heartbeat failed; retrying", { error: describeError(error), attempt, delayMs: delay });
        await clock.sleep(delay);
      }
    }
  };
}
