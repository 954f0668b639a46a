import { builtFunctions, externalFunctionRef, isExternalFunction } from "@sqs-dispatcher/config";
import type { StackBuild } from "./context.js";
import { functionArn } from "./functions.js";

/**
 * The handler functions the poller may invoke, as IAM resources: the functions the stack builds, each
 * external registry function (an ARN as written, qualifier included; a name as this account and
 * region's function ARN), and what `routableFunctions` allows run-time routes to target: an ARN as
 * written, a name as its function ARN plus `:*` (its versions and aliases, which a route may name),
 * a prefix as `function:<prefix>*`.
 */
export function handlerFunctionArns({
  stack,
  registry,
  name,
}: Pick<StackBuild, "stack" | "registry" | "name">): string[] {
  const arns = [
    ...builtFunctions(registry.functions).map(([fnName]) => functionArn(stack, name(fnName))),
    ...Object.values(registry.functions).flatMap((fn) => {
      if (!isExternalFunction(fn)) return [];
      const ref = externalFunctionRef(fn);
      return [ref.startsWith("arn:") ? ref : functionArn(stack, ref)];
    }),
    ...registry.routableFunctions.flatMap((entry) => {
      if (entry.startsWith("arn:")) return [entry];
      if (entry.endsWith("*")) return [functionArn(stack, entry)];
      const arn = functionArn(stack, entry);
      return [arn, `${arn}:*`];
    }),
  ];
  return [...new Set(arns)];
}
