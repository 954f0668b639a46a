import { formatNoMatchAction, NoMatchKind, parseNoMatchAction } from "./noMatchAction.js";
import type { Route, RouteConfig } from "./schema/route.js";

/** A registry route as a deploy stores it, before route sync stamps `source` and `updatedAt`. */
export type DeployedRoute = Omit<Route, "source" | "updatedAt">;

/** What only a deploy knows of a route: where its queue and its functions are. */
export interface RouteDeployment {
  queueUrl: string;
  /** The deployed name (or ARN) of the route's function. */
  functionName: string;
  /**
   * The deployed name of a registry function an `invoke:<function>` names, so that it names the
   * function at run time as `functionName` does. Unset: `onNoMatch` is stored as written (locally,
   * where a function's name is its registry name).
   */
  deployedName?: (registryFunction: string) => string;
}

/**
 * The stored form of a registry route: every field the registry sets, with the deploy's queue URL and
 * function names. The stack's route sync, the local deploy and the route-size check all build it here,
 * so a field added to the route reaches every one of them.
 *
 * @example storedRouteOf(route, { queueUrl: deployed.url, functionName: route.function })
 */
export function storedRouteOf(route: RouteConfig, deployment: RouteDeployment): DeployedRoute {
  return {
    queueName: route.queue.name,
    queueUrl: deployment.queueUrl,
    functionName: deployment.functionName,
    batchSize: route.batchSize,
    batchWindowSec: route.batchWindowSec,
    concurrency: route.concurrency,
    minLoops: route.minLoops,
    maxLoops: route.maxLoops,
    scaleStep: route.scaleStep,
    alarms: route.alarms,
    scaling: route.scaling,
    paused: route.paused,
    idle: route.idle,
    ...(route.filters !== undefined ? { filters: route.filters } : {}),
    ...(route.onNoMatch !== undefined ? { onNoMatch: deployedNoMatch(route.onNoMatch, deployment) } : {}),
    ...(route.maxRate !== undefined ? { maxRate: route.maxRate } : {}),
  };
}

function deployedNoMatch(onNoMatch: string, { deployedName }: RouteDeployment): string {
  const action = parseNoMatchAction(onNoMatch);
  if (deployedName === undefined || action?.kind !== NoMatchKind.Invoke) return onNoMatch;
  return formatNoMatchAction({ ...action, functionName: deployedName(action.functionName) });
}
