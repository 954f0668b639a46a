export { AwsLimits } from "./limits.js";
export { ConfigValidationError, describeIssues } from "./errors.js";
export { defineDispatcher, parseRoute, parseWith } from "./parse.js";
export { routeParameterPath, settingsFor, type Target } from "./settings.js";
export {
  type AlarmTier,
  alarmTierSchema,
  type FunctionConfig,
  functionSchema,
  type PollerConfig,
  pollerSchema,
  type QueueConfig,
  queueSchema,
  type Registry,
  type RegistryInput,
  type RestartConfig,
  restartSchema,
  type Route,
  type RouteConfig,
  routeConfigSchema,
  type RouteInput,
  routeSchema,
  type RouteStoreKind,
  routeStoreKindSchema,
  type Scaling,
  scalingSchema,
} from "./schema.js";
