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
}
