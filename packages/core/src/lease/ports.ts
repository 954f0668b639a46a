import type { InvocationFence, LoopEvent, LoopState, TokenKey, TokenRecord } from "./token.js";

/**
 * The `tokens` table. Every write that a loop's safety depends on is conditional
 * (DESIGN.md, "The token protocol").
 */
export interface LeaseStore {
  /**
   * `SET lastUsed = :now` if the token exists and still has `loopId` (DESIGN.md).
   *
   * With an `invocation` (the invocation fence, an addition to DESIGN.md; docs/protocol.md):
   * also `SET invocationId = :inv`; the first heartbeat of an invocation is conditioned as
   * above, so the newest invocation of a loop takes the token's slot, and every later one
   * adds `AND invocationId = :inv`, so an invocation superseded by a newer one of the same
   * loop fails.
   *
   * @throws LeaseLostError when the condition fails: revoked, taken over or superseded
   * (the caller tells which by a consistent read, {@link LeaseStore.listByQueue}).
   * Other errors (throttling, network) propagate for the caller to retry.
   *
   * With a `state`, also writes what the loop reports about itself (`blockedReason`, set or removed).
   */
  heartbeat(lease: LoopEvent, now: number, invocation?: InvocationFence, state?: LoopState): Promise<void>;
  /** Creates a token that does not exist yet; false when it already exists. */
  create(token: TokenRecord): Promise<boolean>;
  /**
   * Gives the token a new loopId if it still has `expectedLoopId`
   * (`SET loopId = :new, lastUsed = :now, startedAt = :now REMOVE invocationId`).
   * Exactly one of two concurrent claimers wins; false for the loser. Clearing the
   * invocation slot leaves the new loop's first heartbeat nothing of the old loop's.
   */
  claim(key: TokenKey, expectedLoopId: string, newLoopId: string, now: number): Promise<boolean>;
  /** Deletes the token (revokes its loop); false when it was already gone. */
  delete(key: TokenKey): Promise<boolean>;
  /** The tokens of one queue (strongly consistent). */
  listByQueue(queueUrl: string): Promise<TokenRecord[]>;
  /** Every token, one strongly consistent Scan page at a time. */
  scan(): AsyncIterable<TokenRecord[]>;
}
