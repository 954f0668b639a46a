// `@sqs-dispatcher/local`: what the CLI, the integration tests and the benchmarks start — the local
// cloud, the local deploy, `dispatcher dev` — and the few types and errors they name.
export { type LocalAdminApi, startLocalAdminApi } from "./adminApi/startLocalAdminApi.js";
export { runCloud } from "./cloud/runCloud.js";
export { type LocalCloud, type LocalCloudOptions, startLocalCloud } from "./cloud/startLocalCloud.js";
export { ALARM_TIME_SCALE_ENV } from "./cloudwatch/cloudWatchService.js";
export { ScalingEventsTable } from "./cloudwatch/deployScaling.js";
export { runDev } from "./dev/runDev.js";
export {
  createEdgeServer,
  DuplicateSigningNameError,
  EdgePortInUseError,
  isEdgeHost,
} from "./edge/edgeServer.js";
export type { LocalService } from "./edge/localService.js";
export { startEnvironmentChaos } from "./faults/environmentChaos.js";
export type { FaultCounts } from "./faults/faultInjector.js";
export { CommonFaults } from "./faults/faultRule.js";
export type { LocalRolePolicies } from "./iam/rolePolicy.js";
export { unusedPermissionReport } from "./iam/unusedPermissions.js";
export {
  createLambdaService,
  type LambdaService,
  type LambdaServiceOptions,
  type LocalFunctionStats,
} from "./lambda/lambdaService.js";
export {
  type DeployLocalOptions,
  deployLocal,
  type LocalDeployment,
  PlatformFunction,
} from "./platform/deployLocal.js";
export { ensureTable, PlatformTables } from "./platform/ensureTable.js";
export { createLocalClients, type LocalClients } from "./platform/localClients.js";
export { startScheduler } from "./scheduler/startScheduler.js";
