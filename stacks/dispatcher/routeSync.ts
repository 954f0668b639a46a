import { externalFunctionRef, isExternalFunction, parseRoute, storedRouteOf } from "@sqs-dispatcher/config";
import type { RouteSyncProperties } from "@sqs-dispatcher/functions/routeSync";
import { EnvVar } from "@sqs-dispatcher/functions/runtime/environment";
import { type CfnResource, CustomResource, Duration } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type { Function as SstFunction } from "sst/constructs";
import type { DispatcherStackOptions, RouteStoreLocation, StackBuild } from "./context.js";
import { StackConfigurationError } from "./errors.js";
import { allow, createDispatcherFunction, PlatformHandler } from "./functions.js";
import { routesParameterArn } from "./grants.js";
import type { RoutedQueue } from "./queues.js";
import { type RegistryRoute, writeRouteSyncSpec } from "./routeSyncSpec.js";

/**
 * Functions only the AWS stack has (the local deploy syncs routes in-process): the route sync.
 * Registry functions may not take these names.
 */
export const StackFunction = {
  RouteSync: "route-sync",
} as const;

/** The logical id of the `Custom::RouteSync` resource; route-sync serves requests for it alone. */
export const routeSyncResourceId = "RouteSync";

/** How long one route sync may run, seconds. */
const routeSyncTimeoutSec = 300;

/** The environment variable that makes a deploy reset run-time route edits (`DISPATCHER_RESET_ROUTES=1`). */
export const resetRoutesVariable = "DISPATCHER_RESET_ROUTES";

/** Reads `DISPATCHER_RESET_ROUTES`: `1`/`true` resets run-time route edits, unset/`0`/`false` keeps them. */
export function resetRoutesFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[resetRoutesVariable];
  if (raw === undefined || raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new StackConfigurationError(`${resetRoutesVariable} must be 1, true, 0 or false (got '${raw}')`);
}

/** How a stored route names a registry function: an external one as written, a built one by its physical name. */
function storedFunctionName(
  { registry, name }: Pick<StackBuild, "registry" | "name">,
  fnName: string,
): string {
  const fn = registry.functions[fnName];
  return fn !== undefined && isExternalFunction(fn) ? externalFunctionRef(fn) : name(fnName);
}

/** The routes: the registry's, with physical queue URLs and function names (CloudFormation tokens). */
export function registryRoutesOf(
  build: StackBuild,
  queues: readonly RoutedQueue[],
  handlerFunctions: ReadonlyMap<string, SstFunction>,
): RegistryRoute[] {
  const { registry } = build;
  const registryRoutes = registry.routes.map((route, i) => {
    const routed = queues[i];
    const fn = registry.functions[route.function];
    const handler = handlerFunctions.get(route.function);
    const functionName =
      fn !== undefined && isExternalFunction(fn) ? externalFunctionRef(fn) : handler?.functionName;
    if (!routed || functionName === undefined)
      throw new StackConfigurationError(`route '${route.queue.name}' has no queue or function`);
    const stored: RegistryRoute = storedRouteOf(route, {
      queueUrl: routed.queue.queueUrl,
      functionName,
      deployedName: (fn) => storedFunctionName(build, fn),
    });
    // URL and function name are deploy-time tokens; check everything else against the schema now.
    parseRoute({
      ...stored,
      queueUrl: `https://sqs.us-east-1.amazonaws.com/000000000000/${route.queue.name}`,
      functionName: storedFunctionName(build, route.function),
    });
    return stored;
  });
  return registryRoutes;
}

/**
 * The route store is written by a custom resource, not by CloudFormation: on every deploy it applies
 * the same redeploy-versus-edit rule as the local deploy (`planRouteSync`, see packages/functions/src/routeSync.ts), which
 * needs the stored routes, and CloudFormation cannot read those.
 *
 * What to write comes from stack-owned parameters ({@link writeRouteSyncSpec}), not from the
 * resource's properties, and the function is the resource's ServiceToken itself (no Provider
 * framework in front of it), so it sees CloudFormation's own request and can tell it from one
 * invoked straight into it: invoke rights on route-sync are not write rights on the routes.
 */
export function createRouteSync(
  build: StackBuild,
  { routesTable, routesPath }: RouteStoreLocation,
  registryRoutes: readonly RegistryRoute[],
  options: Pick<DispatcherStackOptions, "resetRoutes" | "deployId">,
): CustomResource {
  const { stack, settings, name } = build;
  const deployId = options.deployId ?? new Date().toISOString();
  const spec = writeRouteSyncSpec(build, registryRoutes, {
    deployId,
    resetRoutes: options.resetRoutes ?? resetRoutesFromEnv(),
  });
  const routeStoreEnvironment: Record<string, string> = {
    [EnvVar.RouteStore]: settings.routeStore,
    ...(routesPath !== undefined ? { [EnvVar.RoutesPath]: routesPath } : {}),
    ...(routesTable ? { [EnvVar.RoutesTable]: routesTable.tableName } : {}),
    [EnvVar.RouteSyncSpecParameters]: spec.names.join(","),
    [EnvVar.StackId]: stack.stackId,
    [EnvVar.RouteSyncResourceId]: routeSyncResourceId,
  };
  const routeSyncFunction = createDispatcherFunction(
    stack,
    "RouteSyncFunction",
    name(StackFunction.RouteSync),
    {
      handler: PlatformHandler.routeSync,
      // One write per route, sequentially, within SSM's put throughput; generous for large registries.
      timeout: routeSyncTimeoutSec,
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
  allow(routeSyncFunction, ["ssm:GetParameters"], spec.arns);
  // Is CloudFormation making this change now? (A request invoked straight in finds the resource *_COMPLETE.)
  allow(
    routeSyncFunction,
    ["cloudformation:DescribeStackResource"],
    [stack.formatArn({ service: "cloudformation", resource: "stack", resourceName: `${stack.stackName}/*` })],
  );
  const routeSyncProperties: RouteSyncProperties = {
    RouteStore: routesPath !== undefined ? `ssm:${routesPath}` : `dynamodb:${routesTable?.tableName ?? ""}`,
    DeployId: deployId,
  };
  const resource = new CustomResource(stack, routeSyncResourceId, {
    serviceToken: routeSyncFunction.functionArn,
    resourceType: "Custom::RouteSync",
    properties: routeSyncProperties,
    // A function that dies without answering fails the deploy after this, not after CloudFormation's hour.
    serviceTimeout: Duration.seconds(routeSyncTimeoutSec + 60),
  });
  // The parameters are written (and on a rollback restored) before the sync reads them.
  for (const parameter of spec.parameters) resource.node.addDependency(parameter);
  const cfn = resource.node.defaultChild as CfnResource;
  if (stack.resolve(cfn.logicalId) !== routeSyncResourceId) {
    throw new StackConfigurationError(
      `the route sync resource's logical id is '${String(stack.resolve(cfn.logicalId))}', not '${routeSyncResourceId}' as its function expects`,
    );
  }
  return resource;
}
