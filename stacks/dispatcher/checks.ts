import { type FunctionConfig, PlatformFunction, registryWarnings } from "@sqs-dispatcher/config";
import { Annotations } from "aws-cdk-lib";
import type { StackBuild } from "./context.js";
import { StackConfigurationError } from "./errors.js";
import { exampleHandlersDir } from "./functions.js";
import { StackFunction } from "./routeSync.js";

/** The registry functions whose handler is one of the example handlers. */
export function exampleFunctionsOf(build: Pick<StackBuild, "registry">): [string, FunctionConfig][] {
  return Object.entries(build.registry.functions).filter(([, fn]) =>
    fn.handler.startsWith(exampleHandlersDir),
  );
}

/**
 * Refuses, before anything is built, a registry the stack cannot deploy as declared (names taken by
 * platform functions, example handlers without `examples: true`, a poller timeout shorter than one
 * cycle), prints the registry's warnings, and returns the longest handler timeout.
 */
export function checkStackRegistry({ stack, registry, settings }: StackBuild): {
  maxHandlerTimeoutSec: number;
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
      `function${exampleFunctions.length === 1 ? "" : "s"} ${exampleFunctions.map(([n]) => `'${n}'`).join(", ")} use${exampleFunctions.length === 1 ? "s" : ""} an example handler (${exampleHandlersDir}), which obeys sleepMs/fail/crash in message bodies and keeps every body in the 'processed' table: point ${exampleFunctions.length === 1 ? "it" : "them"} at your own handler, or set 'examples: true' in the registry to deploy the examples to AWS on purpose`,
    );
  }
  for (const warning of registryWarnings(registry)) Annotations.of(stack).addWarning(warning);
  const maxHandlerTimeoutSec = Math.max(1, ...functionEntries.map(([, fn]) => fn.timeoutSec));
  const cycleSec = settings.poller.waitTimeSec + maxHandlerTimeoutSec + settings.poller.marginSec;
  if (settings.poller.timeoutSec < cycleSec) {
    throw new StackConfigurationError(
      `poller.timeoutSec (${settings.poller.timeoutSec}s) must fit one cycle: waitTimeSec (${settings.poller.waitTimeSec}s) + the longest handler timeout (${maxHandlerTimeoutSec}s) + marginSec (${settings.poller.marginSec}s) = ${cycleSec}s`,
    );
  }
  return { maxHandlerTimeoutSec };
}
