export { type AwsClientOptions, type AwsClients, createAwsClients } from "./adapters/aws/clients.js";
export { createCloudWatchAlarmDirectory } from "./adapters/aws/cloudWatchAlarmDirectory.js";
export { createCloudWatchAlarmReader } from "./adapters/aws/cloudWatchAlarmReader.js";
export { createCloudWatchMetricReader } from "./adapters/aws/cloudWatchMetricReader.js";
export { createDynamoRouteStore, type DynamoRouteStoreOptions } from "./adapters/aws/dynamoRouteStore.js";
export {
  createEmfMetricsSink,
  type EmfMetricsSinkOptions,
  METRICS_NAMESPACE,
  MetricDimension,
} from "./adapters/aws/emfMetricsSink.js";
export { createLambdaFunctionInvoker } from "./adapters/aws/functionInvoker.js";
export { createLambdaAccountSettingsReader } from "./adapters/aws/lambdaAccountSettings.js";
export { createLambdaFunctionInfoReader } from "./adapters/aws/lambdaFunctionInfo.js";
export { createDynamoLeaseStore, type DynamoLeaseStoreOptions } from "./adapters/aws/leaseStore.js";
export { createLambdaLoopStarter } from "./adapters/aws/loopStarter.js";
export { createSqsQueueClient } from "./adapters/aws/queueClient.js";
export { createSqsQueueDepthReader } from "./adapters/aws/queueDepthReader.js";
export {
  createDynamoQueueScalingLock,
  type DynamoQueueScalingLockOptions,
  queueLockKey,
} from "./adapters/aws/queueScalingLock.js";
export {
  createDynamoScalingEventLog,
  type DynamoScalingEventLogOptions,
} from "./adapters/aws/scalingEventLog.js";
export { createSqsDeadLetterQueues } from "./adapters/aws/sqsDeadLetterQueues.js";
export { createSqsMessageForwarder } from "./adapters/aws/sqsMessageForwarder.js";
export { createSqsQueueDirectory } from "./adapters/aws/sqsQueueDirectory.js";
export { createSsmRouteStore, type SsmRouteStoreOptions } from "./adapters/aws/ssmRouteStore.js";
export { type Clock, systemClock, timerSleep } from "./clock.js";
export {
  DeadLetterQueueNotFoundError,
  type DeadLetterQueues,
  type DeadLetterTarget,
  type MoveTask,
  type PeekedMessage,
} from "./deadLetters/ports.js";
export { type BatchResult, BatchVerdict, readBatchResult } from "./dispatch/batchResult.js";
export { type BatchOutcome, dispatchBatch } from "./dispatch/dispatchBatch.js";
export { holdBackAfterGroupFailure, isFifoQueue } from "./dispatch/fifoOrder.js";
export { fitPayload, type PayloadChunk } from "./dispatch/fitPayload.js";
export {
  coldStartInitAllowanceSec,
  handlerRequestTimeoutMs,
  invokeWindowMs,
} from "./dispatch/invokeWindow.js";
export type { FunctionInvoker, InvokeResult } from "./dispatch/ports.js";
export {
  type QueueLocation,
  queueLocationOf,
  type SqsEvent,
  type SqsEventMessageAttribute,
  type SqsEventRecord,
  toSqsEvent,
} from "./dispatch/sqsEvent.js";
export {
  AmbiguousInvokeError,
  DispatcherError,
  HandlerNotRunError,
  isPassingNotRun,
  isRetryable,
  isTerminalStoreError,
  LeaseLossReason,
  LeaseLostError,
  LeaseStoreUnusableError,
  NotRunReason,
  TransientError,
} from "./errors.js";
export {
  createFilteredReceive,
  createFilteringQueue,
  defaultNoMatchInvokeBudgetMs,
  type FilteringQueueDeps,
} from "./filtering/filteringQueue.js";
export {
  type HandleUnmatchedDeps,
  handleUnmatched,
  type UnmatchedOutcome,
  unmatchedAttempts,
} from "./filtering/handleUnmatched.js";
export { type FilterableRecord, matchesAnyPattern, matchesPattern } from "./filtering/matchPattern.js";
export {
  type FilterPartition,
  filterableRecordOf,
  partitionByFilters,
} from "./filtering/partitionByFilters.js";
export type { MessageForwarder } from "./filtering/ports.js";
export {
  createFunctionInfoCache,
  type FunctionInfoCache,
  type FunctionInfoCacheOptions,
} from "./functions/functionInfoCache.js";
export { FunctionInfoUnavailableError } from "./functions/functionInfoErrors.js";
export {
  type FunctionDetails,
  type FunctionInfo,
  type FunctionInfoReader,
  FunctionState,
} from "./functions/ports.js";
export { hasHeartbeatSinceStart } from "./lease/heartbeatSinceStart.js";
export {
  type AddLoopsDeps,
  type AddLoopsOptions,
  type AddLoopsResult,
  addLoops,
  type RemoveLoopsDeps,
  removeLoops,
} from "./lease/loops.js";
export type { GroupStore, LeaseStore, LoopStarter, SeenLease } from "./lease/ports.js";
export {
  dedicatedTokens,
  GROUP_LEASE_TOKEN,
  groupIdPattern,
  groupLease,
  groupLeaseKey,
  groupOfLeaseRow,
  isGroupLeaseRow,
  isMemberRow,
  isSharedLoopEvent,
  type PollerEvent,
  SHARED_MEMBER_TOKEN,
  type SharedLoopEvent,
} from "./lease/sharedGroup.js";
export type { InvocationFence, LoopEvent, LoopState, TokenKey, TokenRecord } from "./lease/token.js";
export { type LogFields, type Logger, silentLogger } from "./logger.js";
export {
  type MetricQuery,
  type MetricReader,
  type MetricSeries,
  QueueSeries,
  queueSeriesQueries,
  ratePerSecond,
  SQS_NAMESPACE,
} from "./metrics/metricReader.js";
export { discardMetrics, type MetricsSink, metricUnits, PollerMetric } from "./metrics/ports.js";
export {
  createPoller,
  type InvocationContext,
  type Poller,
  type PollerDeps,
  type PollerSettings,
} from "./poller/createPoller.js";
export {
  createSharedLoop,
  SHARED_EXTRA_BATCHES,
  type SharedLoop,
  type SharedLoopDeps,
} from "./poller/createSharedLoop.js";
export { type LoopOutcome, LoopOutcomeStatus } from "./poller/loopOutcome.js";
export type {
  EntryFailures,
  QueueClient,
  QueueMessage,
  Receive,
  ReceiveHold,
  ReceiveOptions,
} from "./queue/ports.js";
export {
  createLoopShare,
  createRateLimitedReceive,
  type LoopShareDeps,
  type RateLimitedReceiveDeps,
} from "./rateLimit/rateLimitedReceive.js";
export {
  createTokenBucket,
  type ReceiveAllowanceOptions,
  rateShare,
  receiveAllowance,
  receiveMax,
  type TokenBucket,
  type TokenBucketOptions,
} from "./rateLimit/tokenBucket.js";
export { claimStaleToken } from "./restart/claimStaleToken.js";
export {
  CLAIM_SHARE_OF_BUDGET,
  createRestart,
  DEFAULT_RESTART_CONCURRENCY,
  emptyRestartReport,
  type Restart,
  type RestartDeps,
  type RestartLeftover,
  type RestartReport,
  type RestartRunOptions,
} from "./restart/createRestart.js";
export { clampLoopCount, type DesiredLoopCount, freeSlotIds, keepWithinBounds } from "./restart/reconcile.js";
export { RESTART_RETURN_MARGIN_MS, restartBudgetMs } from "./restart/runBudget.js";
export { isStale, type StalenessSettings, staleSince } from "./restart/staleness.js";
export { type BackoffPolicy, backoffDelayMs, defaultBackoff } from "./retry/backoff.js";
export { limitedRoute } from "./routing/limitedRoute.js";
export { listReadableRoutes, type ReadableRoutes } from "./routing/listReadableRoutes.js";
export {
  applyRouteSync,
  describeRouteSync,
  type PlanRouteSyncOptions,
  planRouteSync,
  type RouteSyncPlan,
  RouteSyncSkipReason,
} from "./routing/planRouteSync.js";
export type { RouteStore } from "./routing/ports.js";
export { queueNameOf } from "./routing/queueName.js";
export {
  createRouteResolver,
  type RouteResolver,
  type RouteResolverOptions,
} from "./routing/routeResolver.js";
export { type InvalidStoredRoute, InvalidStoredRouteError } from "./routing/routeStoreErrors.js";
export {
  type AlarmNotification,
  type AlarmSubject,
  alarmNotificationSchema,
  alarmSubjectOf,
  transitionKey,
} from "./scaling/alarmNotification.js";
export { createDepthLoopCount, type DepthLoopCountDeps } from "./scaling/depthLoopCount.js";
export {
  type DepthScaleInState,
  type DepthScalingDecision,
  type DepthScalingInput,
  defaultScaleInHeadroom,
  desiredDepthLoops,
} from "./scaling/depthScaling.js";
export type {
  AlarmDirectory,
  DescribedAlarm,
  QueueDepthReader,
  QueueScalingLock,
  ScalingEventLog,
} from "./scaling/ports.js";
export { type QueueIdentity, queueIdentityOf } from "./scaling/queueIdentity.js";
export {
  MAX_RECORDS_PER_EVENT,
  type ScaleDeps,
  ScaleOutcome,
  type ScaleRecordResult,
  ScalingFailedError,
  scaleDown,
  scaleUp,
} from "./scaling/scaleOnAlarm.js";
export { type SnsEvent, snsEventSchema } from "./scaling/snsEvent.js";
export { describeCapacity } from "./status/describeCapacity.js";
export {
  describeFunction,
  type FunctionStatusSource,
  type HandlerFunctionStatus,
} from "./status/describeFunction.js";
export {
  describeQueue,
  describeQueues,
  describeQueuesPage,
  type StatusDeps,
  type StatusPage,
} from "./status/describeQueues.js";
export {
  type AccountConcurrencyReader,
  type AlarmReader,
  AlarmState,
  type QueueAlarm,
  type QueueAttributes,
  type QueueDirectory,
} from "./status/ports.js";
export {
  type CapacityStatus,
  type DeadLetterStatus,
  type QueueLoopStatus,
  type QueueStatus,
  RouteState,
  type StatusReport,
} from "./status/queueStatus.js";
