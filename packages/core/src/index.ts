export { createCloudWatchAlarmReader } from "./adapters/aws/cloudWatchAlarmReader.js";
export { createDynamoRouteStore, type DynamoRouteStoreOptions } from "./adapters/aws/dynamoRouteStore.js";
export { createSqsQueueDirectory } from "./adapters/aws/sqsQueueDirectory.js";
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
export { describeQueue, describeQueues, type StatusDeps } from "./status/describeQueues.js";
export {
  type AlarmReader,
  AlarmState,
  type QueueAlarm,
  type QueueAttributes,
  type QueueDirectory,
} from "./status/ports.js";
export type { DeadLetterStatus, QueueLoopStatus, QueueStatus, StatusReport } from "./status/queueStatus.js";
export { type LogFields, type Logger, silentLogger } from "./logger.js";
export { type Clock, systemClock } from "./clock.js";
export { DispatcherError } from "./errors.js";
