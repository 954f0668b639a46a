import type { Route } from "@sqs-dispatcher/config";

/**
 * How many loops a route should have, given how many tokens it has now. Reconcile
 * clamps the answer to [minLoops, maxLoops]. The default keeps the current count
 * within bounds (alarm scaling moves it between them); depth mode plugs in here
 * (`route.scaling.mode === "depth"`: a count from the queue's depth).
 */
export type DesiredLoopCount = (route: Route, currentCount: number) => number | Promise<number>;

/** The default {@link DesiredLoopCount}: the current count, brought within [minLoops, maxLoops]. */
export const keepWithinBounds: DesiredLoopCount = (route, currentCount) =>
  clampLoopCount(route, currentCount);

/**
 * Clamps a loop count to a route's bounds. Paused routes are treated like any
 * other: their loops idle without receiving, so unpausing takes effect at the
 * next route-cache refresh rather than the next restart. `minLoops: 0` is
 * honoured here (the "never fewer than 1" rule belongs to alarm scale-down).
 */
export function clampLoopCount(route: Pick<Route, "minLoops" | "maxLoops">, count: number): number {
  return Math.max(route.minLoops, Math.min(route.maxLoops, Math.floor(count)));
}

/**
 * Token ids reconcile uses when it adds loops: `slot-0`, `slot-1`, ... skipping
 * ids in use. Deterministic on purpose: two concurrent restarts that both see a
 * missing loop try to create the same token, and the conditional create lets
 * only one of them start it.
 */
export function freeSlotIds(inUse: ReadonlySet<string>, count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) {
    const id = `slot-${i}`;
    if (!inUse.has(id)) ids.push(id);
  }
  return ids;
}
