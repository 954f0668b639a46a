import type { LoopEvent, TokenKey, TokenRecord } from "./token.js";

/**
 * The `tokens` table. Every write that a loop's safety depends on is conditional
 * (DESIGN.md, "The token protocol").
 */
export interface LeaseStore {
  /**
   * `SET lastUsed = :now` if the token exists and still has `loopId`.
   * @throws LeaseLostError when the condition fails (revoked or taken over).
   * Other errors (throttling, network) propagate for the caller to retry.
   */
  heartbeat(lease: LoopEvent, now: number): Promise<void>;
  /** Creates a token that does not exist yet; false when it already exists. */
  create(token: TokenRecord): Promise<boolean>;
  /**
   * Gives the token a new loopId if it still has `expectedLoopId` (`SET loopId = :new, lastUsed = :now`).
   * Exactly one of two concurrent claimers wins; false for the loser.
   */
  claim(key: TokenKey, expectedLoopId: string, newLoopId: string, now: number): Promise<boolean>;
  /** Deletes the token (revokes its loop); false when it was already gone. */
  delete(key: TokenKey): Promise<boolean>;
  /** The tokens of one queue (strongly consistent). */
  listByQueue(queueUrl: string): Promise<TokenRecord[]>;
  /** Every token, one strongly consistent Scan page at a time. */
  scan(): AsyncIterable<TokenRecord[]>;
}
