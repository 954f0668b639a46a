import { z } from "zod";
import { functionArnProblem, parseFunctionRef } from "../functionRef.js";
import { type FunctionConfig, functionSchema } from "./leaf.js";

/**
 * A function of the registry that the platform does not build: it exists already, owned by another
 * team, stack or account. `{ arn }` names it by ARN (any account and region; a `:<alias or version>`
 * qualifier is kept and invoked as written); `{ name }` names a function of the stack's own account
 * and region (`billing-handler`, or `billing-handler:live`). Its timeout and reserved concurrency are
 * read from Lambda at `routes set`, at deploy time and by the poller (cached).
 *
 * @example
 * functions: {
 *   billing: { arn: "arn:aws:lambda:eu-west-1:123456789012:function:billing-handler:live" },
 *   audit: { name: "audit-handler" },
 * }
 */
export const externalFunctionSchema = z.union([
  z.strictObject({
    arn: z.string().superRefine((arn, ctx) => {
      const problem = functionArnProblem(arn);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: `function ARN ${problem}` });
    }),
  }),
  z.strictObject({
    name: z.string().refine((name) => !name.startsWith("arn:") && parseFunctionRef(name) !== undefined, {
      message:
        "must be a Lambda function name (1-64 letters, digits, '-' or '_'), optionally with ':<alias or version>'; give an ARN as 'arn'",
    }),
  }),
]);
export type ExternalFunctionConfig = z.infer<typeof externalFunctionSchema>;

/** A registry function: built from a handler in this repository, or an existing one (see {@link externalFunctionSchema}). */
export const registryFunctionSchema = z.union([functionSchema, externalFunctionSchema], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? "must be a function to build ({ handler, timeoutSec?, memoryMb?, environment?, reservedConcurrency? }) or an existing one ({ arn: 'arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]' } or { name: '<function name>' }), not a mix"
      : undefined,
});
export type RegistryFunction = FunctionConfig | ExternalFunctionConfig;

/** Whether a registry function is one the platform does not build. */
export function isExternalFunction(fn: RegistryFunction): fn is ExternalFunctionConfig {
  return !("handler" in fn);
}

/** The functions of the registry the platform builds, by registry name. */
export function builtFunctions(functions: Record<string, RegistryFunction>): [string, FunctionConfig][] {
  return Object.entries(functions).flatMap(([name, fn]) => (isExternalFunction(fn) ? [] : [[name, fn]]));
}

/**
 * How a route or an invoke names an external function: its ARN as written, or its name. Locally and on
 * AWS alike this is the `FunctionName` Lambda's Invoke gets.
 */
export function externalFunctionRef(fn: ExternalFunctionConfig): string {
  return "arn" in fn ? fn.arn : fn.name;
}
