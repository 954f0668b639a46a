import { awsResourceName, PlatformFunction, type Registry, settingsFor } from "@sqs-dispatcher/config";
import type { Stack } from "aws-cdk-lib";
import type { FunctionProps, Function as SstFunction, StackContext, Table } from "sst/constructs";
import registry from "../dispatcher.config.js";
import { accountConcurrencyFromEnv, checkStackCapacity } from "./deployCapacity.js";
import { checkStackRegistry } from "./dispatcher/checks.js";
import type { DispatcherStackOptions, StackBuild } from "./dispatcher/context.js";
import { createPlatformEnvironment } from "./dispatcher/environment.js";
import { createHandlerFunctions, createPlatformFunctionFactory } from "./dispatcher/functions.js";
import { createRoutesReadGrant } from "./dispatcher/grants.js";
import { createOutputs } from "./dispatcher/outputs.js";
import { createPollerFunction } from "./dispatcher/poller.js";
import {
  createQueues,
  forwardTargetArnsOf,
  type RoutedQueue,
  routedQueueArnsOf,
} from "./dispatcher/queues.js";
import { createRestart } from "./dispatcher/restart.js";
import { createRouteSync, registryRoutesOf } from "./dispatcher/routeSync.js";
import { createScaling, createScalingEventsTable } from "./dispatcher/scaling.js";
import { createTables } from "./dispatcher/tables.js";

export type { DispatcherStackOptions } from "./dispatcher/context.js";
export { StackConfigurationError } from "./dispatcher/errors.js";
export {
  allow,
  createDispatcherFunction,
  type DispatcherFunctionProps,
  exampleHandlersDir,
  logRetention,
  PlatformHandler,
} from "./dispatcher/functions.js";
export { deadLetterQueueName, importQueueByName, type RoutedQueue } from "./dispatcher/queues.js";
export { restartScheduleMinutes } from "./dispatcher/restart.js";
export { resetRoutesFromEnv, resetRoutesVariable, StackFunction } from "./dispatcher/routeSync.js";
export { restrictToStageAlarms } from "./dispatcher/scaling.js";
export { processedTtlAttribute } from "./dispatcher/tables.js";

/** What the Dispatcher stack hands to stacks that `use(Dispatcher)`. */
export interface DispatcherOutputs {
  readonly registry: Registry;
  readonly stage: string;
  readonly tokensTable: Table;
  readonly routesTable?: Table;
  readonly routesPath?: string;
  readonly poller: SstFunction;
  readonly queues: readonly RoutedQueue[];
  /** The environment every platform function gets (table names, route store, poller settings). */
  readonly platformEnvironment: Readonly<Record<string, string>>;
  /** Grants read access to the route store (SSM path or routes table). */
  grantRoutesRead(fn: SstFunction): void;
  /** Builds a platform function in `scope` with the platform environment and shared defaults. */
  platformFunction(
    scope: Stack,
    id: string,
    logical: PlatformFunction,
    handler: string,
    extra?: Partial<FunctionProps>,
  ): SstFunction;
  /** The physical name of a resource of this stage (`awsResourceName`). */
  resourceName(logical: string): string;
}

/**
 * Builds the stack function for a registry, so tests can synthesize their own registry;
 * `getStack`/`use` need the function's identity, so build it once per registry.
 *
 * @example
 * const Dispatcher = createDispatcherStack(testRegistry);
 * app.stack(Dispatcher);
 */
export function createDispatcherStack(registry: Registry, options: DispatcherStackOptions = {}) {
  return function Dispatcher({ stack, app }: StackContext): DispatcherOutputs {
    const stage = app.stage;
    const settings = settingsFor(registry, { kind: "aws", stage });
    // Refused before anything is built: route reads vs the store, loops + handlers vs the account.
    if (options.checkCapacity !== false) {
      checkStackCapacity(registry, settings, options.accountConcurrency ?? accountConcurrencyFromEnv());
    }
    const name = (logical: string) => awsResourceName(registry.app, stage, logical);
    const build: StackBuild = { stack, registry, stage, settings, name };
    const { maxHandlerTimeoutSec, handlerTimeoutsSec } = checkStackRegistry(build);

    const tables = createTables(build);
    const { tokensTable, processedTable, routesTable, routesPath } = tables;
    const platformEnvironment = createPlatformEnvironment(
      build,
      tokensTable,
      tables,
      maxHandlerTimeoutSec,
      handlerTimeoutsSec,
    );
    const platformFunction = createPlatformFunctionFactory(build, platformEnvironment);
    const handlerFunctions = createHandlerFunctions(build, processedTable);

    const queues = createQueues(build);
    const routedQueueArns = routedQueueArnsOf(build, queues);
    const forwardTargetArns = forwardTargetArnsOf(build);

    const registryRoutes = registryRoutesOf(build, queues, handlerFunctions);
    const grantRoutesRead = createRoutesReadGrant(build, tables);
    const routeSync = createRouteSync(build, tables, registryRoutes, options);

    const { poller, pollerArn } = createPollerFunction(build, {
      platformEnvironment,
      tokensTable,
      routedQueueArns,
      forwardTargetArns,
      grantRoutesRead,
    });
    const scalingEventsTable = createScalingEventsTable(build);
    const scaleGrants = {
      platformFunction,
      tokensTable,
      scalingEventsTable,
      grantRoutesRead,
      pollerArn,
      routedQueueArns,
    };
    const { scheduleMinutes } = createRestart(build, scaleGrants);
    createScaling(build, scaleGrants);

    createOutputs(build, {
      queues,
      tokensTable,
      ...(routesTable ? { routesTable } : {}),
      ...(routesPath !== undefined ? { routesPath } : {}),
      pollerName: name(PlatformFunction.Poller),
      scheduleMinutes,
      routeSync,
    });

    return {
      registry,
      stage,
      tokensTable,
      ...(routesTable ? { routesTable } : {}),
      ...(routesPath !== undefined ? { routesPath } : {}),
      poller,
      queues,
      platformEnvironment,
      grantRoutesRead,
      platformFunction,
      resourceName: name,
    };
  };
}

/** The stack of this project's registry (`dispatcher.config.ts`). */
export const Dispatcher = createDispatcherStack(registry);
