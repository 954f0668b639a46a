import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { LeaseStore, LoopStarter } from "../lease/ports.js";
import { groupLeaseKey, groupOfLeaseRow, type SharedLoopEvent } from "../lease/sharedGroup.js";
import type { TokenRecord } from "../lease/token.js";

export interface ClaimGroupDeps {
  leases: Pick<LeaseStore, "claim">;
  starter: LoopStarter<SharedLoopEvent>;
  clock: Pick<Clock, "now">;
  ids?: () => string;
}

/**
 * Takes over a stale group's lease row exactly as {@link claimStaleToken} takes over a token
 * (conditioned on the loopId and `lastUsed` seen, invocation slot cleared), then starts the
 * group's new shared loop: one claim recovers every member of the group.
 *
 * @returns the new shared loop's event when this caller won, undefined when it lost.
 */
export async function claimStaleGroup(
  deps: ClaimGroupDeps,
  row: TokenRecord,
): Promise<SharedLoopEvent | undefined> {
  const group = groupOfLeaseRow(row);
  const loopId = (deps.ids ?? randomUUID)();
  const seen = { loopId: row.loopId, lastUsed: row.lastUsed };
  if (!(await deps.leases.claim(groupLeaseKey(group), seen, loopId, deps.clock.now()))) return undefined;
  const event: SharedLoopEvent = { group, loopId };
  await deps.starter.start(event);
  return event;
}
