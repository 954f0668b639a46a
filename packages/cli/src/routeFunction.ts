import {
  externalFunctionRef,
  isExternalFunction,
  isRoutableFunction,
  PlatformFunction,
  parseFunctionRef,
} from "@sqs-dispatcher/config";
import { FunctionInfoUnavailableError } from "@sqs-dispatcher/core";
import { createLambdaFunctionInfoReader } from "@sqs-dispatcher/core/aws";
import { CommandFailedError, UsageError } from "./cliErrors.js";
import type { CliContext } from "./context.js";

/** The function a route is set to: how the route stores it, how messages name it, and its timeout. */
export interface RouteFunction {
  /** The route's `functionName`: a built function's physical name, else the name or ARN as given. */
  stored: string;
  /** How messages name it: the registry name, or the name or ARN as given. */
  label: string;
  /** Its timeout: the registry's for a built function, Lambda's for any other; undefined when unknown. */
  timeoutSec: number | undefined;
}

async function timeoutFromLambda(context: CliContext, ref: string, flag: string): Promise<number> {
  let info: Awaited<ReturnType<ReturnType<typeof createLambdaFunctionInfoReader>["read"]>>;
  try {
    info = await createLambdaFunctionInfoReader(context.lambda).read(ref);
  } catch (error) {
    if (error instanceof FunctionInfoUnavailableError) {
      throw new CommandFailedError(`${flag}: ${error.message}`, { functionRef: ref }, { cause: error });
    }
    throw error;
  }
  if (info === undefined) {
    const create =
      context.target.kind === "local"
        ? "create it first (aws --endpoint-url <edge> lambda create-function ...)"
        : "check its name, region and account";
    throw new UsageError(`${flag}: function '${ref}' does not exist; ${create}`, { functionRef: ref });
  }
  return info.timeoutSec;
}

/** The account and region the stack deployed to, from the deployed poller's ARN. */
async function stackHome(context: CliContext): Promise<{ region: string; accountId: string }> {
  const poller = context.names.functionName(PlatformFunction.Poller);
  const info = await createLambdaFunctionInfoReader(context.lambda).read(poller);
  const arn = info && parseFunctionRef(info.arn)?.arn;
  if (!arn) {
    throw new CommandFailedError(`the stack's poller '${poller}' was not found: deploy the stack first`);
  }
  return { region: arn.region, accountId: arn.accountId };
}

/**
 * Resolves `--function`: a registry function (built, or external by name or ARN), or, outside the
 * registry, any function of the local cloud, or on AWS one that `routableFunctions` allows (the
 * poller's role may invoke nothing else). A function the platform did not build must exist: its
 * timeout is read from Lambda for the visibility rule.
 */
export async function routeFunctionOf(context: CliContext, flag: string): Promise<RouteFunction> {
  const fn = context.registry.functions[flag];
  if (fn !== undefined && !isExternalFunction(fn)) {
    return { stored: context.names.functionName(flag), label: flag, timeoutSec: fn.timeoutSec };
  }
  if (fn !== undefined) {
    const ref = externalFunctionRef(fn);
    return { stored: ref, label: flag, timeoutSec: await timeoutFromLambda(context, ref, "--function") };
  }
  const functions = Object.keys(context.registry.functions);
  if (parseFunctionRef(flag) === undefined) {
    throw new UsageError(
      `--function: '${flag}' is neither a function of the registry (functions: ${functions.join(", ") || "none"}) nor a Lambda function name or ARN`,
    );
  }
  if (context.target.kind === "aws") {
    const home = await stackHome(context);
    if (!isRoutableFunction(context.registry.routableFunctions, flag, home)) {
      throw new UsageError(
        `--function: the poller may not invoke '${flag}' on AWS (its role covers the registry's functions and routableFunctions): add it (its name, ARN or a prefix such as '${(parseFunctionRef(flag)?.name ?? flag).replace(/[-_][^-_]*$/, "")}-*') to routableFunctions in dispatcher.config.ts and deploy, or declare it in functions (functions: ${functions.join(", ") || "none"})`,
        { functionRef: flag },
      );
    }
  }
  return { stored: flag, label: flag, timeoutSec: await timeoutFromLambda(context, flag, "--function") };
}

/**
 * The function of a route being edited without `--function`: a registry function by its stored
 * name, else the stored name or ARN itself, read from Lambda. Undefined when it cannot be read
 * (the route's function is gone: there is no timeout to compare).
 */
export async function storedRouteFunctionOf(
  context: CliContext,
  storedName: string,
): Promise<RouteFunction | undefined> {
  const key = Object.keys(context.registry.functions).find((name) => {
    const fn = context.registry.functions[name];
    return fn !== undefined && !isExternalFunction(fn)
      ? context.names.functionName(name) === storedName
      : fn !== undefined && externalFunctionRef(fn) === storedName;
  });
  const fn = key === undefined ? undefined : context.registry.functions[key];
  if (key !== undefined && fn !== undefined && !isExternalFunction(fn)) {
    return { stored: storedName, label: key, timeoutSec: fn.timeoutSec };
  }
  try {
    const info = await createLambdaFunctionInfoReader(context.lambda).read(storedName);
    return info && { stored: storedName, label: key ?? storedName, timeoutSec: info.timeoutSec };
  } catch {
    return undefined;
  }
}
