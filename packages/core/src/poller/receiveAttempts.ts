/**
 * A lane's `ReceiveRequestAttemptId`s (FIFO queues only): each receive gets a new one, except the
 * receive after one that failed, which retries with the failed one's id, as SQS intends: if the
 * failed receive's answer was lost, SQS hands out the same messages again instead of leaving them
 * (and their groups) invisible until their visibility timeout.
 */
export interface ReceiveAttempts {
  /** The id for the next receive; undefined on a standard queue. */
  next(): string | undefined;
  /** The receive made with the last id failed: the next one retries it. */
  failed(): void;
  /** The receive made with the last id was answered. */
  answered(): void;
}

export function createReceiveAttempts(fifo: boolean, ids: () => string): ReceiveAttempts {
  let current: string | undefined;
  let retry: string | undefined;
  return {
    next() {
      if (!fifo) return undefined;
      current = retry ?? ids();
      retry = undefined;
      return current;
    },
    failed() {
      retry = current;
    },
    answered() {
      retry = undefined;
    },
  };
}
