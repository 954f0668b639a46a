import { type QueueStatus, RouteState } from "@sqs-dispatcher/core";

/**
 * Every distinct reason the route's loops give for being blocked (status names only the first),
 * so the page can show them all; empty unless the route is `blocked`.
 */
export function blockedReasonsOf(queue: Pick<QueueStatus, "state" | "loops">): string[] {
  if (queue.state !== RouteState.Blocked) return [];
  return [...new Set(queue.loops.flatMap((l) => (l.blockedReason !== null ? [l.blockedReason] : [])))];
}
