import { LeaseLossReason } from "../errors.js";
import type { LeaseStore } from "../lease/ports.js";
import type { LoopEvent } from "../lease/token.js";
import type { Logger } from "../logger.js";
import { describeError } from "./describeError.js";

export interface LeaseLossReasonDeps {
  leases: Pick<LeaseStore, "listByQueue">;
  logger: Pick<Logger, "warn">;
}

/**
 * Tells why a heartbeat's condition failed, by one strongly consistent read of the
 * queue's tokens: the row is gone (revoked) or it has another loopId (taken over).
 * The conditional write cannot say which, since DynamoDB does not return the item
 * that failed the condition (and dynalite ignores `ReturnValuesOnConditionCheckFailure`).
 * When the read fails, revoked: the loop ends either way, and revoked is the common case.
 */
export async function leaseLossReason(deps: LeaseLossReasonDeps, lease: LoopEvent): Promise<LeaseLossReason> {
  try {
    const tokens = await deps.leases.listByQueue(lease.queueUrl);
    return tokens.some((t) => t.token === lease.token) ? LeaseLossReason.TakenOver : LeaseLossReason.Revoked;
  } catch (error) {
    deps.logger.warn("could not read the token to tell revoked from taken over", {
      error: describeError(error),
    });
    return LeaseLossReason.Revoked;
  }
}
