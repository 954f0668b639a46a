import type { Route } from "@sqs-dispatcher/config";

/** One token of a queue and the loop holding it, as status shows it. */
export interface QueueLoopStatus {
  token: string;
  loopId: string;
  /** Epoch ms of the last heartbeat; null before the loop's first heartbeat. */
  lastUsed: number | null;
  /** Milliseconds since the last heartbeat (or since the token was created, before the first one). */
  heartbeatAgeMs: number;
  /** Epoch ms at which the current loopId was started; null when the store does not know. */
  startedAt: number | null;
  /** Present while the loop is blocked (the token's `blockedReason`, written by the poller). */
  blockedReason?: string;
}

/** A queue's dead-letter queue and how many messages wait in it. */
export interface DeadLetterStatus {
  name: string;
  /** Null when the DLQ named by the redrive policy does not exist. */
  url: string | null;
  visible: number | null;
}

/**
 * The state of one queue. Counters are null when the queue does not exist (a route to a deleted queue).
 * The shape is a contract: `dispatcher status --json` and the admin API print it as is.
 */
export interface QueueStatus {
  name: string;
  url: string;
  /** The stored route; null when the queue is not routed. */
  route: Route | null;
  /** One entry per token of the queue. */
  loops: QueueLoopStatus[];
  visible: number | null;
  inFlight: number | null;
  delayed: number | null;
  /** The queue's DLQ from its RedrivePolicy; null when it has none. */
  dlq: DeadLetterStatus | null;
  alarms: { name: string; state: string }[];
}

/** What `describeQueues`/`describeQueue` return: `{ queues: [...] }`, sorted by name. */
export interface StatusReport {
  queues: QueueStatus[];
}
