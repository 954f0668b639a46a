/**
 * The registry's schemas, one module per part: leaf values (functions, queues, alarm tiers), routes,
 * platform settings, loop limits, and the registry with its cross-checks.
 */

export {
  builtFunctions,
  type ExternalFunctionConfig,
  externalFunctionRef,
  externalFunctionSchema,
  isExternalFunction,
  type RegistryFunction,
  registryFunctionSchema,
} from "./schema/externalFunction.js";
export {
  AlarmMetric,
  type AlarmTier,
  alarmTierSchema,
  createdQueueDefaults,
  type FunctionConfig,
  functionSchema,
  isImportedQueue,
  isQueueName,
  type QueueConfig,
  queueNameRule,
  queueSchema,
  type Scaling,
  scalingSchema,
} from "./schema/leaf.js";
export { type LoopBudget, type LoopLimits, loopLimitIssues, loopLimitsSchema } from "./schema/loopLimits.js";
export {
  defaultSharedQueuesPerLoop,
  localOverridesSchema,
  type PollerConfig,
  pollerSchema,
  type RestartConfig,
  type RouteStoreKind,
  restartSchema,
  routeStoreKindSchema,
  sharedQueuesPerLoopMax,
} from "./schema/platform.js";
export { isRoutableQueue, type Registry, type RegistryInput, registrySchema } from "./schema/registry.js";
export { registryWarnings } from "./schema/registryChecks.js";
export {
  defaultRouteConcurrency,
  type IdleMode,
  idleModeSchema,
  type Route,
  type RouteConfig,
  type RouteInput,
  routeConcurrencyMax,
  routeConfigSchema,
  routeSchema,
} from "./schema/route.js";
