import type { Route } from "@sqs-dispatcher/config";
import type { HandlerFunctionStatus } from "./describeFunction.js";

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
  /** Why the loop cannot invoke its handler (function missing, access denied, …); null while it can. */
  blockedReason: string | null;
}

/**
 * What a queue's loops are doing: `active` (routed and dispatching), `paused` (the route is
 * paused), `blocked` (a loop cannot invoke the route's function: see `blockedReason`), or
 * `unrouted` (no route).
 */
export const RouteState = {
  Active: "active",
  Paused: "paused",
  Blocked: "blocked",
  Unrouted: "unrouted",
} as const;
export type RouteState = (typeof RouteState)[keyof typeof RouteState];

/** The shared loop that polls a quiet queue: its group, and the group's lease as a loop's. */
export interface SharedLoopStatus {
  group: string;
  /** Queues the group polls. */
  members: number;
  /** Null when the group's lease row is missing (restart recreates it). */
  loop: QueueLoopStatus | null;
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
  /** One entry per dedicated loop's token of the queue. */
  loops: QueueLoopStatus[];
  /** The shared loop polling the queue (its group and that group's lease); null when none does. */
  shared: SharedLoopStatus | null;
  state: RouteState;
  /** Why the route is `blocked` (the first blocked loop's reason); null otherwise. */
  blockedReason: string | null;
  /** Batches the route's loops may have in its handler at once (loops × the route's concurrency); null when unrouted. */
  handlerConcurrency: number | null;
  /**
   * Why run time does not obey the stored route (`clamped: minLoops 5000 > 50`): it is over the
   * registry's loop limits, and restart, scale-up and the scale actions hold it to them. Null
   * when it is within them (or unrouted, or the limits are unknown).
   */
  clamped: string | null;
  visible: number | null;
  inFlight: number | null;
  delayed: number | null;
  /** The queue's DLQ from its RedrivePolicy; null when it has none. */
  dlq: DeadLetterStatus | null;
  /** The route's handler function (external or built, its ARN, timeout, reserved concurrency); null when unrouted or not described. */
  function: HandlerFunctionStatus | null;
  alarms: { name: string; state: string }[];
}

/**
 * How much of the account's Lambda concurrency the routes can take (docs/scale.md): one execution
 * per loop plus `concurrency` handler invocations per loop, at every route's `maxLoops`.
 */
export interface CapacityStatus {
  /** The account's concurrency (`GetAccountSettings`); null when it could not be read. */
  accountConcurrency: number | null;
  /** Loops running now (tokens of routed queues). */
  loopsNow: number;
  /** Σ maxLoops of the stored routes. */
  loopsAtMax: number;
  /** Σ maxLoops × concurrency. */
  handlersAtMax: number;
  /** loopsAtMax + handlersAtMax. */
  totalAtMax: number;
  /** accountConcurrency − totalAtMax (negative: over); null without the account's figure. */
  headroom: number | null;
  /** Set when the worst case takes more than 80% of the account, or exceeds it. */
  warning: string | null;
}

/** What `describeQueues`/`describeQueue` return: `{ queues: [...] }`, sorted by name. */
export interface StatusReport {
  queues: QueueStatus[];
  /** With an account reader and every queue described (`describeQueues`). */
  capacity?: CapacityStatus;
}
