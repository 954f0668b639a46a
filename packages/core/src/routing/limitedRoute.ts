import { type LimitedRoute, type LoopLimitValues, limitRoutes, type Route } from "@sqs-dispatcher/config";
import { listReadableRoutes } from "./listReadableRoutes.js";
import type { RouteStore } from "./ports.js";

/**
 * One stored route as run time obeys it: clamped to the registry's loop limits together with the
 * other stored routes (`limitRoutes`: the total limit depends on all of them). Scale-up and the
 * console's and CLI's scale actions make loops only within it. Without limits, the route as stored.
 */
export async function limitedRoute(
  routes: Pick<RouteStore, "list">,
  route: Route,
  limits: LoopLimitValues | undefined,
): Promise<LimitedRoute<Route>> {
  if (limits === undefined) return route;
  const { routes: readable } = await listReadableRoutes(routes);
  const others = readable.filter((r) => r.queueName !== route.queueName);
  const limited = limitRoutes([...others, route], limits);
  return limited[limited.length - 1] ?? route;
}
