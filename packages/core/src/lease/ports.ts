import type { InvocationFence, LoopEvent, LoopState, TokenKey, TokenRecord } from "./token.js";

/**
 * What a claimer saw of a token when it judged it stale. A claim holds only if the token still
 * has both (as the Kinesis Client Library conditions a take-over on the lease counter it saw):
 * a loop that heartbeat in between keeps its token.
 */
export interface SeenLease {
  loopId: string;
  /** The `lastUsed` seen; `undefined` when the token had none (the claim then requires it still has none). */
  lastUsed: number | undefined;
}

/**
 * The `tokens` table. Every write that a loop's safety depends on is conditional
 * (docs/protocol.md).
 */
export interface LeaseStore {
  /**
   * `SET lastUsed = :now` if the token exists and still has `loopId`.
   *
   * With an `invocation` (the invocation fence, docs/protocol.md):
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
   * Gives the token a new loopId if it is still as `seen`
   * (`SET loopId = :new, startedAt = :now REMOVE invocationId`, conditioned on `loopId = :old`
   * and `lastUsed = :seen`, or `attribute_not_exists(lastUsed)` when none was seen).
   * Exactly one of two concurrent claimers wins, and a claim loses to a heartbeat made after
   * the claimer's read; false for the loser. `lastUsed` is not refreshed: until the new loop's
   * first heartbeat the token counts as starting (`startedAt` newer than `lastUsed`), so a
   * start that failed is retried after the start grace, not the stale threshold.
   * Clearing the invocation slot leaves the new loop's first heartbeat nothing of the old loop's.
   *
   * A bare loopId as `seen` conditions on the loopId alone: a take-over regardless of
   * heartbeats, for tests and tools; restart always passes what it saw.
   */
  claim(key: TokenKey, seen: SeenLease | string, newLoopId: string, now: number): Promise<boolean>;
  /** Deletes the token (revokes its loop); false when it was already gone. */
  delete(key: TokenKey): Promise<boolean>;
  /** The tokens of one queue (strongly consistent). */
  listByQueue(queueUrl: string): Promise<TokenRecord[]>;
  /** Every token, one strongly consistent Scan page at a time. */
  scan(): AsyncIterable<TokenRecord[]>;
}

/** Starts a token's poller loop asynchronously (Lambda `Invoke` with `InvocationType: Event`). */
export interface LoopStarter {
  start(event: LoopEvent): Promise<void>;
}
