import { type Route, visibilityFitProblem } from "@sqs-dispatcher/config";
import { InvalidStoredRouteError } from "@sqs-dispatcher/core";
import { createSqsQueueClient } from "@sqs-dispatcher/core/aws";
import { UsageError } from "../cliErrors.js";
import type { CliContext } from "../context.js";
import { routeEditRefusals, routeFitRefusals } from "../routeEditRules.js";
import type { RouteFunction } from "../routeFunction.js";

/**
 * Refuses what the registry schema refuses for a created queue, before anything is written: a queue
 * whose visibility timeout is shorter than its handler's timeout, which Lambda's event source refuses too.
 * The queue exists already here, so its actual `VisibilityTimeout` is what counts; a function the
 * platform did not build has its timeout read from Lambda.
 */
export async function refuseShortVisibility(
  context: CliContext,
  target: RouteFunction | undefined,
  queueName: string,
  queueUrl: string,
  batchWindowSec: number,
): Promise<void> {
  // A route whose function left the registry: parseRoute and the deploy say so; there is no timeout to compare.
  if (target?.timeoutSec === undefined) return;
  const visibilityTimeoutSec = await createSqsQueueClient(context.sqs).visibilityTimeoutSec?.(queueUrl);
  if (visibilityTimeoutSec === undefined) return;
  const problem = visibilityFitProblem({
    visibilityTimeoutSec,
    functionLabel: target.label,
    timeoutSec: target.timeoutSec,
    batchWindowSec,
  });
  if (problem === undefined) return;
  throw new UsageError(
    `${problem.field === "visibility" ? "<queue>" : "--batch-window"}: ${problem.message}`,
    { queueName, queueUrl, visibilityTimeoutSec, function: target.label, timeoutSec: target.timeoutSec },
  );
}

/**
 * Refuses, before anything is written, an edit whose timing its loops cannot keep
 * ({@link routeFitRefusals}), that breaks the registry's loop limits over every
 * stored route, targets a queue the poller's role cannot read on AWS, or names a queue URL outside
 * the target's SQS (see {@link routeEditRefusals}).
 */
export async function refuseOutsideLimits(context: CliContext, route: Route): Promise<void> {
  let stored: readonly Route[];
  try {
    stored = await context.routes.list();
  } catch (error) {
    // The corrupt ones cannot count towards the total; `routes list` names them.
    if (!(error instanceof InvalidStoredRouteError)) throw error;
    stored = error.valid;
  }
  const region = context.target.kind === "aws" ? await context.sqs.config.region() : undefined;
  const functionKey = Object.keys(context.registry.functions).find(
    (name) => context.names.functionName(name) === route.functionName,
  );
  const lines = [
    ...routeFitRefusals(context.registry, context.target, route, functionKey),
    ...routeEditRefusals({
      registry: context.registry,
      target: context.target,
      route,
      stored,
      ...(region !== undefined ? { region } : {}),
      storeKind: context.routeStoreKind,
    }),
  ];
  if (lines.length > 0) throw new UsageError(lines.join("\n"), { queueName: route.queueName });
}
