export { createDynamoRouteStore, type DynamoRouteStoreOptions } from "./adapters/aws/dynamoRouteStore.js";
export { createSsmRouteStore, type SsmRouteStoreOptions } from "./adapters/aws/ssmRouteStore.js";
export {
  applyRouteSync,
  describeRouteSync,
  type PlanRouteSyncOptions,
  planRouteSync,
  type RouteSyncPlan,
  RouteSyncSkipReason,
} from "./routing/planRouteSync.js";
export type { RouteStore } from "./routing/ports.js";
export { type InvalidStoredRoute, InvalidStoredRouteError } from "./routing/routeStoreErrors.js";
