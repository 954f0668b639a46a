export {
  type DeployLocalOptions,
  type DeployTarget,
  deployLocal,
  type LocalDeployment,
  PlatformFunction,
} from "./platform/deployLocal.js";
export { type DeployedQueue, dlqNameOf, ensureQueue } from "./platform/ensureQueue.js";
export { ensureTable, PlatformTables, type TableSpec } from "./platform/ensureTable.js";
export { createLocalClients, type LocalClients, type LocalEndpoint } from "./platform/localClients.js";
export { type Scheduler, type SchedulerOptions, startScheduler } from "./scheduler/startScheduler.js";
export { type DemoTraffic, type DemoTrafficOptions, startDemoTraffic } from "./dev/demoTraffic.js";
export { loadRegistry } from "./dev/loadRegistry.js";
export { type RunDevOptions, runDev } from "./dev/runDev.js";
export { type QueueReading, readQueue, renderBoard, startStatusBoard } from "./dev/statusBoard.js";
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
