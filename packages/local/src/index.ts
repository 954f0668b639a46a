export {
  type CacheableRequest,
  type CachedResponse,
  cacheKeyOf,
  createResponseCache,
  type ResponseCache,
} from "./adminApi/responseCache.js";
export {
  DEFAULT_LOCAL_ADMIN_API_PORT,
  LOCAL_ADMIN_API_HOST,
  type LocalAdminApi,
  type LocalAdminApiOptions,
  startLocalAdminApi,
} from "./adminApi/startLocalAdminApi.js";
export { describeLocalCloud, type RunCloudIo, type RunCloudOptions, runCloud } from "./cloud/runCloud.js";
export {
  DEFAULT_EDGE_PORT,
  type LocalCloud,
  type LocalCloudOptions,
  startLocalCloud,
} from "./cloud/startLocalCloud.js";
export { LOCAL_CONSOLE_PERIOD_SEC, localConsoleDeps } from "./console/localConsoleDeps.js";
export { type DemoTraffic, type DemoTrafficOptions, startDemoTraffic } from "./dev/demoTraffic.js";
export { loadRegistry, RegistryModuleError } from "./dev/loadRegistry.js";
export { type RunDevOptions, runDev } from "./dev/runDev.js";
export {
  type QueueRates,
  type QueueReading,
  RATE_WINDOW_MS,
  readQueue,
  readRates,
  renderBoard,
  startStatusBoard,
} from "./dev/statusBoard.js";
export { createDynamoDbService, type DynamoDbServiceOptions } from "./dynamodb/dynamoDbService.js";
export { sendAwsJson, sendAwsJsonError } from "./edge/awsJsonError.js";
export {
  createEdgeServer,
  DuplicateSigningNameError,
  EDGE_HOST,
  EdgePortInUseError,
  type EdgeServer,
  type EdgeServerOptions,
  isEdgeHost,
} from "./edge/edgeServer.js";
export type { LocalService } from "./edge/localService.js";
export { operationOf } from "./edge/operationOf.js";
export { createRequestMeter, OPERATOR_CALLER, type RequestMeter } from "./edge/requestMeter.js";
export { type SigningScope, signingScopeOf } from "./edge/signingScope.js";
export {
  type EnvironmentChaos,
  type EnvironmentChaosOptions,
  startEnvironmentChaos,
} from "./faults/environmentChaos.js";
export { createFaultInjector, type FaultCounts, type FaultInjector } from "./faults/faultInjector.js";
export { CommonFaults, type FaultRule, type FaultRuleInput, faultRuleSchema } from "./faults/faultRule.js";
export { accessDeniedMessage } from "./iam/accessDenied.js";
export {
  createLocalCredentials,
  type FunctionCredentials,
  type LocalCredentials,
} from "./iam/localCredentials.js";
export { assumedRoleArn, createLocalIam, type LocalIam, type RoleUsage } from "./iam/localIam.js";
export { type AuthorizationCheck, authorizationChecksOf } from "./iam/requestAuthorization.js";
export type { LocalRolePolicies, PolicyStatement, RolePolicy } from "./iam/rolePolicy.js";
export { loadStackRolePolicies, StackPolicySynthesisError } from "./iam/stackRolePolicies.js";
export {
  formatPermissionReport,
  type Grant,
  type RolePermissionReport,
  unusedPermissionReport,
} from "./iam/unusedPermissions.js";
export { FunctionBuildError } from "./lambda/bundleFunction.js";
export {
  InvalidFunctionDefinitionError,
  type LocalFunctionDefinition,
  RecursiveLoop,
  validateFunctionDefinition,
} from "./lambda/functionDefinition.js";
export {
  createLambdaService,
  type LambdaService,
  type LambdaServiceOptions,
  type LocalFunctionStats,
} from "./lambda/lambdaService.js";
export {
  ALARM_TIME_SCALE_ENV,
  type CloudWatchService,
  type CloudWatchServiceOptions,
  createCloudWatchService,
  DEFAULT_ALARM_TIME_SCALE,
} from "./monitoring/cloudWatchService.js";
export type { MetricAlarm } from "./monitoring/metricAlarm.js";
export {
  type DeployLocalOptions,
  type DeployTarget,
  deployLocal,
  type LocalDeployment,
  PlatformFunction,
} from "./platform/deployLocal.js";
export {
  type DeployedQueue,
  dlqNameOf,
  type EnsureQueueOptions,
  ensureQueue,
  ImportedQueueNotFoundError,
  MissingImportedQueue,
} from "./platform/ensureQueue.js";
export { ensureTable, PlatformTables, type TableSpec } from "./platform/ensureTable.js";
export { createLocalClients, type LocalClients, type LocalEndpoint } from "./platform/localClients.js";
export { type Scheduler, type SchedulerOptions, startScheduler } from "./scheduler/startScheduler.js";
export {
  createSnsLambdaDelivery,
  SNS_LAMBDA_BRIDGE_QUEUE_PREFIX,
  type SnsLambdaDeliveryOptions,
  snsLambdaEvent,
} from "./snsLambda/snsLambdaDelivery.js";
export { canonicalQueueUrl, createSqsSnsService, FAUXQS_ACCOUNT_ID } from "./sqs/sqsSnsService.js";
export {
  createParameterStore,
  type ParameterStore,
  ParameterTier,
  ParameterType,
} from "./ssm/parameterStore.js";
export { SsmError, SsmErrorCode } from "./ssm/ssmErrors.js";
export { createSsmService, type SsmService, type SsmServiceOptions } from "./ssm/ssmService.js";
