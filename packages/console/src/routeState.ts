import type { QueueStatus } from "@sqs-dispatcher/core";

/** What a route is doing, as the console shows it. */
export const RouteState = {
  /** Loops receive and dispatch. */
  Active: "active",
  /** The route is paused: loops hold their tokens but receive nothing. */
  Paused: "paused",
  /** A loop of the route reports it cannot work (its token's `blockedReason`). */
  Blocked: "blocked",
  /** The queue has no route. */
  Unrouted: "unrouted",
} as const;
export type RouteState = (typeof RouteState)[keyof typeof RouteState];

/**
 * The state of a queue's route: blocked when any of its tokens says so (that is the news an
 * operator needs first), else paused or active.
 */
export function routeStateOf(queue: QueueStatus): { state: RouteState; blockedReasons: string[] } {
  const blockedReasons = [
    ...new Set(queue.loops.flatMap((l) => (l.blockedReason !== undefined ? [l.blockedReason] : []))),
  ];
  if (queue.route === null) return { state: RouteState.Unrouted, blockedReasons };
  if (blockedReasons.length > 0) return { state: RouteState.Blocked, blockedReasons };
  return { state: queue.route.paused ? RouteState.Paused : RouteState.Active, blockedReasons };
}
