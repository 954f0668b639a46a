import {
  builtFunctions,
  checkRouteFits,
  type FunctionConfig,
  listOffenders,
  PlatformFunction,
  registryWarnings,
} from "@sqs-dispatcher/config";
import { Annotations } from "aws-cdk-lib";
import type { StackBuild } from "./context.js";
import { StackConfigurationError } from "./errors.js";
import { exampleHandlersDir, isExampleFunction } from "./functions.js";
import { StackFunction } from "./routeSync.js";

/** The registry functions that are example handlers ({@link isExampleFunction}). */
export function exampleFunctionsOf(build: Pick<StackBuild, "registry">): [string, FunctionConfig][] {
  return builtFunctions(build.registry.functions).filter(([, fn]) => isExampleFunction(fn));
}

/**
 * Refuses, before anything is built, a registry the stack cannot deploy as declared (names taken by
 * platform functions, example handlers without `examples: true`, a route that does not fit the
 * stage's loop timing: {@link checkRouteFits}), prints the registry's warnings, and returns the
 * longest handler timeout and each handler's own, by its deployed name.
 */
export function checkStackRegistry({ stack, registry, settings, name }: StackBuild): {
  maxHandlerTimeoutSec: number;
  handlerTimeoutsSec: Record<string, number>;
} {
  const functionEntries = Object.entries(registry.functions);

  const platformNames = new Set<string>([
    ...Object.values(PlatformFunction),
    ...Object.values(StackFunction),
  ]);
  for (const [fnName] of functionEntries) {
    if (platformNames.has(fnName)) {
      throw new StackConfigurationError(
        `registry function '${fnName}' takes the name of a platform function (${[...platformNames].join(", ")}); rename it`,
      );
    }
  }
  const exampleFunctions = exampleFunctionsOf({ registry });
  if (exampleFunctions.length > 0 && !registry.examples) {
    throw new StackConfigurationError(
      `function${exampleFunctions.length === 1 ? "" : "s"} ${listOffenders(exampleFunctions.map(([n]) => `'${n}'`))} use${exampleFunctions.length === 1 ? "s" : ""} an example handler (${exampleHandlersDir}), which obeys sleepMs/fail/crash in message bodies and keeps every body in the 'processed' table: point ${exampleFunctions.length === 1 ? "it" : "them"} at your own handler, or set 'examples: true' in the registry to deploy the examples to AWS on purpose`,
    );
  }
  for (const warning of registryWarnings(registry)) Annotations.of(stack).addWarning(warning);
  // The functions the stack builds; an existing function's timeout is read by each loop (which adapts its budget).
  const built = builtFunctions(registry.functions);
  const maxHandlerTimeoutSec = Math.max(1, ...built.map(([, fn]) => fn.timeoutSec));
  const timing = { ...settings.poller, staleAfterSec: settings.restart.staleAfterSec };
  const problems = registry.routes.flatMap((route) => {
    const fn = built.find(([key]) => key === route.function)?.[1];
    if (fn === undefined) return [];
    const input = {
      queueName: route.queue.name,
      batchWindowSec: route.batchWindowSec,
      functionName: route.function,
      handlerTimeoutSec: fn.timeoutSec,
    };
    return checkRouteFits(input, timing).map((p) => p.message);
  });
  if (problems.length > 0) throw new StackConfigurationError(problems.join("; "));
  const handlerTimeoutsSec = Object.fromEntries(built.map(([key, fn]) => [name(key), fn.timeoutSec]));
  return { maxHandlerTimeoutSec, handlerTimeoutsSec };
}
