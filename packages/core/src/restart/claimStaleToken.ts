import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { LeaseStore, LoopStarter } from "../lease/ports.js";
import type { LoopEvent, TokenRecord } from "../lease/token.js";

export interface ClaimDeps {
  leases: Pick<LeaseStore, "claim">;
  starter: LoopStarter;
  clock: Pick<Clock, "now">;
  ids?: () => string;
}

/**
 * Gives a stale token a new loopId, conditioned on the loopId and the `lastUsed` it was seen
 * with, and starts a loop for it only if this claim won. Of two concurrent restarts, one wins
 * the conditional update and starts the loop; the other does nothing. A loop that heartbeat
 * after the token was read keeps it (the claim fails). The overrunning old loop fails its next
 * heartbeat (taken over). When the start fails, the claim stands without a heartbeat, so the
 * token is stale again after the start grace and the next run retries it.
 *
 * @returns the new loop's event when this caller won, undefined when it lost.
 */
export async function claimStaleToken(deps: ClaimDeps, token: TokenRecord): Promise<LoopEvent | undefined> {
  const newLoopId = (deps.ids ?? randomUUID)();
  const seen = { loopId: token.loopId, lastUsed: token.lastUsed };
  const won = await deps.leases.claim(token, seen, newLoopId, deps.clock.now());
  if (!won) return undefined;
  const event: LoopEvent = { queueUrl: token.queueUrl, token: token.token, loopId: newLoopId };
  await deps.starter.start(event);
  return event;
}
