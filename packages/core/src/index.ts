// `@sqs-dispatcher/core`: the use cases and the ports they run over, with the types, errors and
// helpers the composition roots need to wire them. The AWS adapters are `@sqs-dispatcher/core/aws`.
export { type Clock, systemClock } from "./clock.js";
export {
  DeadLetterQueueNotFoundError,
  type DeadLetterQueues,
  type DeadLetterTarget,
  type MoveTask,
  type PeekedMessage,
} from "./deadLetters/ports.js";
export { dispatchBatch } from "./dispatch/dispatchBatch.js";
export { isFifoQueue } from "./dispatch/fifoOrder.js";
export { handlerRequestTimeoutMs } from "./dispatch/invokeWindow.js";
export type { FunctionInvoker } from "./dispatch/ports.js";
export { toSqsEvent } from "./dispatch/sqsEvent.js";
export { DispatcherError, LeaseLostError } from "./errors.js";
export { createFilteredReceive } from "./filtering/filteringQueue.js";
export type { MessageForwarder } from "./filtering/ports.js";
export { createFunctionInfoCache } from "./functions/functionInfoCache.js";
export { FunctionInfoUnavailableError } from "./functions/functionInfoErrors.js";
export type { FunctionInfoReader } from "./functions/ports.js";
export { addLoops, removeLoops } from "./lease/loops.js";
export type { GroupStore, LeaseStore, LoopStarter } from "./lease/ports.js";
export {
  dedicatedTokens,
  GROUP_LEASE_TOKEN,
  groupIdPattern,
  groupLeaseKey,
  isSharedLoopEvent,
  type PollerEvent,
  SHARED_MEMBER_TOKEN,
} from "./lease/sharedGroup.js";
export type { LoopEvent, TokenRecord } from "./lease/token.js";
export { type LogFields, type Logger, silentLogger } from "./logger.js";
export {
  type MetricQuery,
  type MetricReader,
  QueueSeries,
  queueSeriesQueries,
  ratePerSecond,
} from "./metrics/metricReader.js";
export {
  discardMetrics,
  METRICS_NAMESPACE,
  MetricDimension,
  type MetricsSink,
  PollerMetric,
} from "./metrics/ports.js";
export {
  createPoller,
  type InvocationContext,
  type Poller,
  type PollerDeps,
  type PollerSettings,
} from "./poller/createPoller.js";
export { createSharedLoop, SHARED_EXTRA_BATCHES } from "./poller/createSharedLoop.js";
export { type LoopOutcome, LoopOutcomeStatus } from "./poller/loopOutcome.js";
export type { QueueClient, QueueMessage } from "./queue/ports.js";
export { createLoopShare, createRateLimitedReceive } from "./rateLimit/rateLimitedReceive.js";
export { createRestart, type Restart } from "./restart/createRestart.js";
export { emptyRestartReport, type RestartLeftover, type RestartReport } from "./restart/restartReport.js";
export { restartBudgetMs } from "./restart/runBudget.js";
export type { StalenessSettings } from "./restart/staleness.js";
export { defaultBackoff } from "./retry/backoff.js";
export { limitedRoute } from "./routing/limitedRoute.js";
export {
  applyRouteSync,
  describeRouteSync,
  planRouteSync,
  type RouteSyncPlan,
} from "./routing/planRouteSync.js";
export type { RouteStore } from "./routing/ports.js";
export { createRouteResolver } from "./routing/routeResolver.js";
export { InvalidStoredRouteError } from "./routing/routeStoreErrors.js";
export { createDepthLoopCount } from "./scaling/depthLoopCount.js";
export type {
  AlarmDirectory,
  QueueDepthReader,
  QueueScalingLock,
  ScalingEventLog,
} from "./scaling/ports.js";
export { type ScaleDeps, type ScaleRecordResult, scaleDown, scaleUp } from "./scaling/scaleOnAlarm.js";
export {
  describeQueue,
  describeQueues,
  describeQueuesPage,
  type StatusDeps,
} from "./status/describeQueues.js";
export {
  type AccountConcurrencyReader,
  type AlarmReader,
  AlarmState,
  type QueueDirectory,
} from "./status/ports.js";
export {
  type CapacityStatus,
  type QueueStatus,
  RouteState,
  type StatusReport,
} from "./status/queueStatus.js";
