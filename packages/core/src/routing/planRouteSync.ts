import type { Route } from "@sqs-dispatcher/config";

/** Why a deploy leaves a stored route as it is. */
export const RouteSyncSkipReason = {
  /** The stored route was edited at run time (`source: "edit"`) and the deploy was not forced. */
  Edited: "edited",
} as const;
export type RouteSyncSkipReason = (typeof RouteSyncSkipReason)[keyof typeof RouteSyncSkipReason];

/** What a deploy does to the route store; apply with {@link applyRouteSync}. */
export interface RouteSyncPlan {
  /** Routes to write: new, changed in the registry, or reset by force. */
  puts: Route[];
  /** Routes of the registry that are stored unchanged: nothing to write. */
  unchanged: Route[];
  /** Registry routes not written because the stored one was edited at run time; `stored` stays in force. */
  skips: { route: Route; stored: Route; reason: RouteSyncSkipReason }[];
  /** Queue names whose stored route is deleted: deployed routes the registry no longer declares. */
  deletes: string[];
  /** Stored routes that the registry does not declare but that were created at run time: kept. */
  keeps: Route[];
}

export interface PlanRouteSyncOptions {
  /** Reset run-time edits to the registry and delete routes created at run time (`--reset-routes`). */
  force?: boolean;
}

/** Fields that say where a route came from rather than what it does. */
function behaviour(route: Route): string {
  const { source: _source, updatedAt: _updatedAt, ...rest } = route;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

/**
 * The redeploy-versus-edit rule, as a pure function of the registry's routes and the stored ones.
 *
 * A deploy writes every registry route with `source: "deploy"`. A stored route with `source: "edit"`
 * (written by `dispatcher routes set`) wins over the registry: the deploy skips it and reports the skip,
 * so an operator's run-time change (another function, more loops, paused) survives an unrelated deploy.
 * `force` resets it to the registry. A stored `deploy` route that the registry no longer declares is
 * deleted (the route was removed from `dispatcher.config.ts`); a stored `edit` route that the registry
 * never declared (a queue routed at run time) is kept unless forced. Routes removed with
 * `dispatcher routes rm` are simply absent from the store, so a later deploy writes a registry route
 * again: to remove a registry route for good, remove it from the registry.
 *
 * @example
 * const plan = planRouteSync(registryRoutes, await store.list(), { force: false });
 * for (const s of plan.skips) log(`kept run-time edit of ${s.stored.queueName}`);
 * await applyRouteSync(store, plan);
 */
export function planRouteSync(
  registryRoutes: readonly Route[],
  storedRoutes: readonly Route[],
  options: PlanRouteSyncOptions = {},
): RouteSyncPlan {
  const force = options.force ?? false;
  const stored = new Map(storedRoutes.map((r) => [r.queueName, r]));
  const declared = new Set<string>();
  const plan: RouteSyncPlan = { puts: [], unchanged: [], skips: [], deletes: [], keeps: [] };

  for (const wanted of registryRoutes) {
    const route: Route = { ...wanted, source: "deploy" };
    declared.add(route.queueName);
    const current = stored.get(route.queueName);
    if (current === undefined) plan.puts.push(route);
    else if (current.source === "edit" && !force) {
      plan.skips.push({ route, stored: current, reason: RouteSyncSkipReason.Edited });
    } else if (current.source === "deploy" && behaviour(current) === behaviour(route)) {
      plan.unchanged.push(current);
    } else plan.puts.push(route);
  }

  for (const current of storedRoutes) {
    if (declared.has(current.queueName)) continue;
    if (current.source === "edit" && !force) plan.keeps.push(current);
    else plan.deletes.push(current.queueName);
  }
  return plan;
}

/** Writes a {@link RouteSyncPlan}: puts first, so a rename never leaves a moment with neither route. */
export async function applyRouteSync(
  store: { put(route: Route): Promise<void>; delete(queueName: string): Promise<boolean> },
  plan: RouteSyncPlan,
): Promise<void> {
  for (const route of plan.puts) await store.put(route);
  for (const queueName of plan.deletes) await store.delete(queueName);
}

/** One line per decision of the plan, for a deploy's output (skips say how to force). */
export function describeRouteSync(plan: RouteSyncPlan): string[] {
  return [
    ...plan.puts.map((r) => `route ${r.queueName}: written (function ${r.functionName})`),
    ...plan.skips.map(
      (s) =>
        `route ${s.stored.queueName}: kept the run-time edit (function ${s.stored.functionName}); the registry says function ${s.route.functionName} — deploy with a reset to apply it (pnpm dev --reset-routes; on AWS, DISPATCHER_RESET_ROUTES=1 pnpm sst deploy)`,
    ),
    ...plan.deletes.map((q) => `route ${q}: deleted (no longer in the registry)`),
    ...plan.keeps.map((r) => `route ${r.queueName}: kept (created at run time, not in the registry)`),
  ];
}
