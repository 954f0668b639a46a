export {
  type AdminApiMethod,
  type AdminApiRequest,
  AdminApiView,
  adminApiCacheKeyParameters,
  adminApiCacheTtlSec,
  adminApiMethods,
  adminApiPageMax,
  adminApiRequestParameters,
  adminApiRequestSchema,
} from "./adminApi.js";
export { alarmTierMetricNames, tierDescription, tierMetricName } from "./alarmTierMetric.js";
export {
  CapacityError,
  CONCURRENCY_WARN_SHARE,
  type ConcurrencyDemand,
  type ConcurrencyHeadroom,
  checkDeployCapacity,
  concurrencyDemand,
  concurrencyHeadroom,
  concurrencyProblem,
  DEFAULT_ACCOUNT_CONCURRENCY,
  type RouteCapacityInput,
  type RouteReadLoad,
  RouteStoreThroughput,
  registryCapacityInputs,
  routeReadLoad,
  routeReadProblem,
} from "./capacity.js";
export { DispatcherError } from "./dispatcherError.js";
export {
  EnvVar,
  MissingEnvironmentError,
  optionalEnv,
  optionalSecondsByName,
  type PlatformEnvironmentInput,
  platformEnvironment,
  requireEnv,
  requireRegion,
  requireSeconds,
} from "./environment.js";
export { ConfigValidationError, describeIssues } from "./errors.js";
export {
  checkFilterPattern,
  FilterLimits,
  FilterOperator,
  type FilterPattern,
  FilterPatternError,
  type FilterPatternIssue,
  type FilterRule,
  FilterTarget,
  type FilterValue,
  filterPatternSchema,
  filtersFromJson,
  filtersSchema,
  parseFilterPattern,
} from "./filterPattern.js";
export {
  type FunctionRef,
  functionArnProblem,
  functionRefRule,
  parseFunctionRef,
  unqualifiedRef,
  visibilityFitProblem,
} from "./functionRef.js";
export {
  AwsLimits,
  type LimitedRoute,
  type LoopCounts,
  type LoopLimitValues,
  lambdaReservedEnvironmentKeys,
  limitRoutes,
  loopsTotal,
  PlatformLimits,
  pollerReservedConcurrency,
} from "./limits.js";
export { loadRegistry, RegistryModuleError, RegistryModuleProblem } from "./loadRegistry.js";
export {
  awsResourceName,
  deadLetterQueueName,
  isStageTierAlarm,
  PlatformFunction,
  platformFunctionNames,
  platformHandlerProblem,
  stageAlarmNamePrefix,
  tierAlarmName,
} from "./naming.js";
export {
  checkNoMatchTarget,
  formatNoMatchAction,
  type NoMatchAction,
  NoMatchKind,
  noMatchActionSchema,
  parseNoMatchAction,
} from "./noMatchAction.js";
export { listOffenders, offendersNamed } from "./offenderList.js";
export { defineDispatcher, parseRoute, parseWith } from "./parse.js";
export { type QueueUrlScope, queueUrlProblem, sqsUrlSuffixOf } from "./queueUrl.js";
export { isSharedQuietRoute } from "./quietRoutes.js";
export type { PolicyStatement, RolePolicies } from "./rolePolicy.js";
export { type FunctionHome, isRoutableFunction, routableFunctionSchema } from "./routableFunctions.js";
export {
  checkRouteFits,
  type LoopTiming,
  type RouteFitProblem,
  RouteFitRule,
  type RouteTimingInput,
} from "./routeBudget.js";
export {
  checkRoutesFitStores,
  largestStoredForm,
  RouteStoreSizeLimits,
  routeSizeProblem,
  storedRouteBytes,
} from "./routeSize.js";
export {
  AlarmMetric,
  type AlarmTier,
  alarmTierSchema,
  builtFunctions,
  createdQueueDefaults,
  defaultSharedQueuesPerLoop,
  type ExternalFunctionConfig,
  externalFunctionRef,
  externalFunctionSchema,
  type FunctionConfig,
  functionSchema,
  type IdleMode,
  idleModeSchema,
  isExternalFunction,
  isImportedQueue,
  isQueueName,
  isRoutableQueue,
  type LoopBudget,
  type LoopLimits,
  loopLimitIssues,
  loopLimitsSchema,
  type PollerConfig,
  pollerSchema,
  type QueueConfig,
  queueNameRule,
  queueSchema,
  type Registry,
  type RegistryFunction,
  type RegistryInput,
  type RestartConfig,
  type Route,
  type RouteConfig,
  type RouteInput,
  type RouteStoreKind,
  registryFunctionSchema,
  registryWarnings,
  restartSchema,
  routeConcurrencyMax,
  routeConfigSchema,
  routeSchema,
  routeStoreKindSchema,
  type Scaling,
  scalingSchema,
  sharedQueuesPerLoopMax,
} from "./schema.js";
export { routeParameterPath, settingsFor, type Target } from "./settings.js";
export { type DeployedRoute, type RouteDeployment, storedRouteOf } from "./storedRoute.js";
