import type { Route } from "@sqs-dispatcher/config";
import type { RouteStore } from "./ports.js";
import { type InvalidStoredRoute, InvalidStoredRouteError } from "./routeStoreErrors.js";

/** Every route that parses, and the stored entries that do not. */
export interface ReadableRoutes {
  routes: Route[];
  /** Stored entries that do not parse; while any exist the route list is incomplete. */
  unreadable: readonly InvalidStoredRoute[];
}

/**
 * Lists the routes, keeping the ones that parse when some stored entries do not. Restart uses
 * it so that one corrupt route does not stop every other route's reconcile; since the list is
 * then incomplete, a caller must not treat a queue missing from it as removed (restart skips
 * orphan deletion while `unreadable` is not empty). Other errors (throttling, access) propagate.
 *
 * @example
 * const { routes, unreadable } = await listReadableRoutes(store);
 */
export async function listReadableRoutes(store: Pick<RouteStore, "list">): Promise<ReadableRoutes> {
  try {
    return { routes: await store.list(), unreadable: [] };
  } catch (error) {
    if (!(error instanceof InvalidStoredRouteError)) throw error;
    return { routes: [...error.valid], unreadable: error.invalid };
  }
}
