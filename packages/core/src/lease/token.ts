/** The key of a token row: one lease on one queue. */
export interface TokenKey {
  queueUrl: string;
  token: string;
}

/** The poller's event, and the identity of one loop: the token it holds and its fencing `loopId`. */
export interface LoopEvent extends TokenKey {
  loopId: string;
}

/** A row of the `tokens` table. */
export interface TokenRecord extends LoopEvent {
  /** Epoch ms of the last successful heartbeat; absent until the loop's first heartbeat. */
  lastUsed?: number;
  createdAt: number;
  /** Epoch ms at which the current loopId was started (create or claim). */
  startedAt?: number;
  /**
   * The invocation of the loop that last took the token's invocation slot (its first
   * heartbeat); absent until then, and cleared by a claim. See docs/protocol.md,
   * "Why the invocation fence".
   */
  invocationId?: string;
  /**
   * Why the loop cannot hand batches to its handler (the function is missing, access is denied,
   * …), written by the loop's renewals while it lasts; absent while it can. `status` shows the
   * route as `blocked` with this reason.
   */
  blockedReason?: string;
  /**
   * On a shared member row (token `shared`, see `lease/sharedGroup.ts`): the group whose shared
   * loop polls this queue. Absent on a dedicated loop's token. A member row has no lease of its
   * own (`loopId` is empty): the group's lease row holds it.
   */
  group?: string;
  /**
   * On a group's lease row: the queue URLs its shared loop polls. The member rows are the
   * assignment; this set is their index, kept in agreement by restart's reconcile.
   */
  members?: string[];
}

/** What a loop reports about itself with each renewal. */
export interface LoopState {
  /** Why the loop's handler cannot be invoked; `undefined` clears it. */
  blockedReason: string | undefined;
}

/**
 * Which invocation of a loop is heartbeating, so that two invocations sharing one
 * loopId (a duplicate async delivery, a self-invoke retried after a lost response)
 * cannot both hold the token: the newest to start wins.
 */
export interface InvocationFence {
  /** Unique per execution of the poller, never reused by a duplicate delivery. */
  invocationId: string;
  /**
   * True until this invocation's first heartbeat succeeded: that heartbeat takes the
   * slot unconditionally (idempotent if retried, since it writes the same id); every
   * later one requires the slot to still be ours.
   */
  first: boolean;
}
