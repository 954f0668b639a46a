import { describeError } from "../describeError.js";
import { LeaseLossReason } from "../errors.js";
import type { LeaseStore } from "../lease/ports.js";
import type { LoopEvent } from "../lease/token.js";
import type { Logger } from "../logger.js";

export interface LeaseLossReasonDeps {
  leases: Pick<LeaseStore, "listByQueue">;
  logger: Pick<Logger, "warn">;
}

/**
 * Tells why a heartbeat's condition failed, by one strongly consistent read of the
 * queue's tokens: the row is gone (revoked), it has another loopId (taken over), or
 * it still has this loopId, so the invocation fence failed: a newer invocation of the
 * same loop took the slot (superseded). The conditional write cannot say which, since
 * DynamoDB does not return the item that failed the condition (and dynalite ignores
 * `ReturnValuesOnConditionCheckFailure`). When the read fails, revoked: the loop ends
 * either way, and revoked is the common case.
 */
export async function leaseLossReason(deps: LeaseLossReasonDeps, lease: LoopEvent): Promise<LeaseLossReason> {
  try {
    const row = (await deps.leases.listByQueue(lease.queueUrl)).find((t) => t.token === lease.token);
    if (!row) return LeaseLossReason.Revoked;
    return row.loopId === lease.loopId ? LeaseLossReason.Superseded : LeaseLossReason.TakenOver;
  } catch (error) {
    deps.logger.warn("could not read the token to tell why the lease was lost", {
      error: describeError(error),
    });
    return LeaseLossReason.Revoked;
  }
}
