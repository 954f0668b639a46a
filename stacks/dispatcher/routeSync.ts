import {
  EnvVar,
  formatNoMatchAction,
  NoMatchKind,
  parseNoMatchAction,
  parseRoute,
  type Route,
} from "@sqs-dispatcher/config";
import type { RouteSyncProperties } from "@sqs-dispatcher/functions/routeSync";
import { CustomResource, RemovalPolicy } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as cr from "aws-cdk-lib/custom-resources";
import type { Function as SstFunction } from "sst/constructs";
import type { DispatcherStackOptions, RouteStoreLocation, StackBuild } from "./context.js";
import { StackConfigurationError } from "./errors.js";
import { allow, createDispatcherFunction, logRetention, PlatformHandler } from "./functions.js";
import { routesParameterArn } from "./grants.js";
import type { RoutedQueue } from "./queues.js";

/**
 * Functions only the AWS stack has (the local deploy syncs routes in-process): the route sync and
 * the CDK Provider framework function in front of it. Registry functions may not take these names.
 */
export const StackFunction = {
  RouteSync: "route-sync",
  RouteSyncProvider: "route-sync-provider",
} as const;

/** The environment variable that makes a deploy reset run-time route edits (`DISPATCHER_RESET_ROUTES=1`). */
export const resetRoutesVariable = "DISPATCHER_RESET_ROUTES";

/** Reads `DISPATCHER_RESET_ROUTES`: `1`/`true` resets run-time route edits, unset/`0`/`false` keeps them. */
export function resetRoutesFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[resetRoutesVariable];
  if (raw === undefined || raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new StackConfigurationError(`${resetRoutesVariable} must be 1, true, 0 or false (got '${raw}')`);
}

/** `invoke:<registry function>` names the deployed function at run time, as `functionName` does. */
function physicalNoMatch({ name }: Pick<StackBuild, "name">, onNoMatch: string): string {
  const action = parseNoMatchAction(onNoMatch);
  return action?.kind === NoMatchKind.Invoke
    ? formatNoMatchAction({ ...action, functionName: name(action.functionName) })
    : onNoMatch;
}

/** The routes: the registry's, with physical queue URLs and function names (CloudFormation tokens). */
export function registryRoutesOf(
  build: StackBuild,
  queues: readonly RoutedQueue[],
  handlerFunctions: ReadonlyMap<string, SstFunction>,
): Omit<Route, "source" | "updatedAt">[] {
  const { registry, name } = build;
  const registryRoutes = registry.routes.map((route, i) => {
    const routed = queues[i];
    const handler = handlerFunctions.get(route.function);
    if (!routed || !handler)
      throw new StackConfigurationError(`route '${route.queue.name}' has no queue or function`);
    const stored: Omit<Route, "source" | "updatedAt"> = {
      queueName: route.queue.name,
      queueUrl: routed.queue.queueUrl,
      functionName: handler.functionName,
      batchSize: route.batchSize,
      batchWindowSec: route.batchWindowSec,
      concurrency: route.concurrency,
      minLoops: route.minLoops,
      maxLoops: route.maxLoops,
      scaleStep: route.scaleStep,
      alarms: route.alarms,
      scaling: route.scaling,
      paused: route.paused,
      ...(route.filters !== undefined ? { filters: route.filters } : {}),
      ...(route.onNoMatch !== undefined ? { onNoMatch: physicalNoMatch(build, route.onNoMatch) } : {}),
      ...(route.maxRate !== undefined ? { maxRate: route.maxRate } : {}),
    };
    // URL and function name are deploy-time tokens; check everything else against the schema now.
    parseRoute({
      ...stored,
      queueUrl: `https://sqs.us-east-1.amazonaws.com/000000000000/${route.queue.name}`,
      functionName: name(route.function),
    });
    return stored;
  });
  return registryRoutes;
}

/**
 * The route store is written by a custom resource, not by CloudFormation: on every deploy it applies
 * the same redeploy-versus-edit rule as the local deploy (`planRouteSync`, see packages/functions/src/routeSync.ts), which
 * needs the stored routes, and CloudFormation cannot read those.
 */
export function createRouteSync(
  build: StackBuild,
  { routesTable, routesPath }: RouteStoreLocation,
  registryRoutes: readonly Omit<Route, "source" | "updatedAt">[],
  options: Pick<DispatcherStackOptions, "resetRoutes" | "deployId">,
): CustomResource {
  const { stack, settings, name } = build;
  const routeStoreEnvironment: Record<string, string> = {
    [EnvVar.RouteStore]: settings.routeStore,
    ...(routesPath !== undefined ? { [EnvVar.RoutesPath]: routesPath } : {}),
    ...(routesTable ? { [EnvVar.RoutesTable]: routesTable.tableName } : {}),
  };
  const routeSyncFunction = createDispatcherFunction(
    stack,
    "RouteSyncFunction",
    name(StackFunction.RouteSync),
    {
      handler: PlatformHandler.routeSync,
      // One write per route, sequentially, within SSM's put throughput; generous for large registries.
      timeout: 300,
      memorySize: 256,
      environment: routeStoreEnvironment,
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
    },
  );
  if (routesPath !== undefined) {
    const base = routesParameterArn(build, routesPath);
    allow(routeSyncFunction, ["ssm:GetParametersByPath"], [base, `${base}/*`]);
    allow(routeSyncFunction, ["ssm:PutParameter", "ssm:DeleteParameter"], [`${base}/*`]);
  }
  if (routesTable) {
    allow(
      routeSyncFunction,
      ["dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteItem"],
      [routesTable.tableArn],
    );
  }
  // The Provider framework answers CloudFormation (success, failure, response URL) for the function.
  // Named and given its own log group like every function here (no LogRetention custom resource).
  const providerName = name(StackFunction.RouteSyncProvider);
  const routeSyncProvider = new cr.Provider(stack, "RouteSyncProvider", {
    onEventHandler: routeSyncFunction,
    providerFunctionName: providerName,
    // The framework logs each response it sends CloudFormation; the default (FATAL) hides why a deploy hangs.
    frameworkLambdaLoggingLevel: lambda.ApplicationLogLevel.INFO,
    logGroup: new logs.LogGroup(stack, "RouteSyncProviderLogs", {
      logGroupName: `/aws/lambda/${providerName}`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
  });
  const frameworkFunction = routeSyncProvider.node.findChild("framework-onEvent").node
    .defaultChild as lambda.CfnFunction;
  frameworkFunction.recursiveLoop = lambda.RecursiveLoop.TERMINATE;
  const routeSyncProperties: RouteSyncProperties = {
    Routes: stack.toJsonString(registryRoutes),
    ResetRoutes: (options.resetRoutes ?? resetRoutesFromEnv()) ? "true" : "false",
    RouteStore: routesPath !== undefined ? `ssm:${routesPath}` : `dynamodb:${routesTable?.tableName ?? ""}`,
    DeployId: options.deployId ?? new Date().toISOString(),
  };
  return new CustomResource(stack, "RouteSync", {
    serviceToken: routeSyncProvider.serviceToken,
    resourceType: "Custom::RouteSync",
    properties: routeSyncProperties,
  });
}
