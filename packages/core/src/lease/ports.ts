import type { PollerEvent } from "./sharedGroup.js";
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

/**
 * The writes of shared loops' groups (docs/protocol.md, "Shared loops"): member rows keyed by
 * queue URL, and one lease row per group holding the lease and the member set. DynamoDB's
 * transactions are not used (the local DynamoDB has none): restart orders its writes so that a
 * queue in a group's set always has its member row, and repairs a half-done change at its next run.
 * The group's lease itself (heartbeat, fence, claim) goes through {@link LeaseStore} on
 * `groupLease(event)`.
 */
export interface GroupStore {
  /** Writes a queue's member row naming `group`, if the queue has none; false when it has one. */
  addMember(queueUrl: string, group: string, now: number): Promise<boolean>;
  /** Deletes a queue's member row if it still names `group`; false otherwise. */
  removeMember(queueUrl: string, group: string): Promise<boolean>;
  /** Creates a group's lease row (a new loopId, the given members) if it does not exist; false when it does. */
  createGroup(group: string, loopId: string, members: readonly string[], now: number): Promise<boolean>;
  /** Adds and removes queue URLs of an existing group's member set; false when the group has no lease row. */
  updateMembers(group: string, add: readonly string[], remove: readonly string[]): Promise<boolean>;
  /** Deletes a group's lease row if its member set is empty (its loop ends as revoked); false otherwise. */
  deleteEmptyGroup(group: string): Promise<boolean>;
  /** A group's lease row (strongly consistent), undefined when there is none. */
  readGroup(group: string): Promise<TokenRecord | undefined>;
}

/** Starts a poller loop, dedicated or shared, asynchronously (Lambda `Invoke` with `InvocationType: Event`). */
export interface LoopStarter<E extends PollerEvent = LoopEvent> {
  start(event: E): Promise<void>;
}
