/** How one poller invocation ended. */
export const LoopOutcomeStatus = {
  /** The loop still holds its token (or could not tell) and re-invoked itself. */
  Recursed: "recursed",
  /** The token was deleted (scale-down, reconcile, removed route): the loop ended. */
  Revoked: "revoked",
  /** Restart gave the token a new loopId: this loop ended, the new one goes on. */
  TakenOver: "taken-over",
  /** A newer invocation of the same loop (same loopId) took the token's invocation slot: this one ended. */
  Superseded: "superseded",
  /**
   * The loop holds its token but the self-invoke failed after retries; restart
   * claims the token once it is stale and starts a new loop.
   */
  RecursionFailed: "recursion-failed",
  /**
   * The tokens table refused the loop's heartbeat in a way retrying cannot fix (validation,
   * access denied, table not found): the loop ended without recursing; restart starts a new
   * one once the table works again.
   */
  StoreUnusable: "store-unusable",
} as const;
export type LoopOutcomeStatus = (typeof LoopOutcomeStatus)[keyof typeof LoopOutcomeStatus];

/** What one invocation of a loop did, for logs and tests. */
export interface LoopOutcome {
  status: LoopOutcomeStatus;
  /** Batches started (receives that opened a batch). */
  cycles: number;
  received: number;
  /** Messages whose handler succeeded and that were deleted. */
  succeeded: number;
  /** Messages left to the visibility timeout (failed, or held back for FIFO order). */
  failed: number;
  /** Succeeded messages that could not be deleted even after retries (they will be redelivered). */
  undeleted: number;
  /** Messages no handler saw (it could not be invoked in time), made visible again at once. */
  released: number;
  /** Most batches in the handler at once. */
  maxInFlight: number;
}
