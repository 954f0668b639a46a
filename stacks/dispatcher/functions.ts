import { builtFunctions, EnvVar, type FunctionConfig } from "@sqs-dispatcher/config";
import { ArnFormat, RemovalPolicy, type Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { type FunctionProps, Function as SstFunction, type Table } from "sst/constructs";
import type { StackBuild } from "./context.js";

/** Handlers of the platform's own functions (paths relative to the project root, as SST expects). */
export const PlatformHandler = {
  poller: "packages/functions/src/poller.handler",
  restart: "packages/functions/src/restart.handler",
  scaleUp: "packages/functions/src/scaleUp.handler",
  scaleDown: "packages/functions/src/scaleDown.handler",
  adminApi: "packages/functions/src/adminApi.handler",
  routeSync: "packages/functions/src/routeSync.handler",
} as const;

/**
 * Example handlers record deliveries in the `processed` table (PROCESSED_TABLE); a registry
 * function whose handler lives here gets that table and write access to it. They obey
 * `sleepMs`/`fail`/`crash` in message bodies, so they reach AWS only with `examples: true`.
 */
export const exampleHandlersDir = "packages/functions/src/handlers/";

/** Whether a registry function is an example handler: its handler lives in {@link exampleHandlersDir}, or it says `example: true`. */
export function isExampleFunction(fn: FunctionConfig): boolean {
  return fn.example === true || fn.handler.startsWith(exampleHandlersDir);
}

/** How long every function's logs are kept. */
export const logRetention = logs.RetentionDays.TWO_WEEKS;

/** Builds a platform function in `scope` with the platform environment and shared defaults. */
export type PlatformFunctionFactory = (
  scope: Stack,
  id: string,
  logical: string,
  handler: string,
  extra?: Partial<FunctionProps>,
) => SstFunction;

export function functionArn(stack: Stack, name: string): string {
  return stack.formatArn({
    service: "lambda",
    resource: "function",
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Function props with the recursion setting made explicit: every function states it. */
export type DispatcherFunctionProps = FunctionProps & { recursiveLoop: lambda.RecursiveLoop };

/**
 * Builds a function with the project's defaults. Every function gets its own log group, so
 * retention is set without CDK's LogRetention custom resource (one more Lambda with `logs:*` on `*`).
 */
export function createDispatcherFunction(
  scope: Stack,
  id: string,
  functionName: string,
  props: DispatcherFunctionProps,
): SstFunction {
  return new SstFunction(scope, id, {
    runtime: "nodejs22.x",
    architecture: "arm_64",
    // Active tracing would add xray:Put* on "*" to every role; the recursion guard does
    // not need it (Lambda sets _X_AMZN_TRACE_ID either way).
    tracing: "disabled",
    ...props,
    functionName,
    logGroup: new logs.LogGroup(scope, `${id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
  });
}

/**
 * Adds one Allow statement to a function's role; none when there is no resource to allow (a
 * registry with no routes, or no alarm tiers): such a statement would grant nothing, and CDK
 * refuses to synthesize it.
 */
export function allow(fn: SstFunction, actions: string[], resources: string[]): void {
  if (resources.length === 0) return;
  fn.addToRolePolicy(new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions, resources }));
}

/** The factory of platform functions: the platform environment, shared defaults, no recursion. */
export function createPlatformFunctionFactory(
  { name }: StackBuild,
  platformEnvironment: Record<string, string>,
): PlatformFunctionFactory {
  const platformFunction = (
    scope: Stack,
    id: string,
    logical: string,
    handler: string,
    extra: Partial<FunctionProps> = {},
  ) =>
    createDispatcherFunction(scope, id, name(logical), {
      handler,
      timeout: 60,
      memorySize: 256,
      ...extra,
      environment: { ...platformEnvironment, ...extra.environment },
      // Only the poller may recurse; everything else keeps AWS's loop guard.
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
    });
  return platformFunction;
}

/** The handler functions of the registry: ordinary Lambda SQS handlers, outside any loop. */
export function createHandlerFunctions(
  { stack, registry, name }: StackBuild,
  processedTable: Table | undefined,
): Map<string, SstFunction> {
  const makeFunction = (id: string, functionName: string, props: DispatcherFunctionProps) =>
    createDispatcherFunction(stack, id, functionName, props);
  const handlerFunctions = new Map<string, SstFunction>();
  // External functions exist already: the stack builds only the registry's own handlers.
  for (const [fnName, fn] of builtFunctions(registry.functions)) {
    handlerFunctions.set(fnName, createHandlerFunction(fnName, fn));
  }
  function createHandlerFunction(fnName: string, fn: FunctionConfig): SstFunction {
    const usesProcessed = processedTable !== undefined && isExampleFunction(fn);
    const handler = makeFunction(`Handler-${fnName}`, name(fnName), {
      handler: fn.handler,
      timeout: fn.timeoutSec,
      memorySize: fn.memoryMb,
      environment: {
        ...fn.environment,
        ...(usesProcessed ? { [EnvVar.ProcessedTable]: processedTable.tableName } : {}),
      },
      ...(fn.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: fn.reservedConcurrency }
        : {}),
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
    });
    if (usesProcessed) allow(handler, ["dynamodb:UpdateItem"], [processedTable.tableArn]);
    return handler;
  }
  return handlerFunctions;
}
