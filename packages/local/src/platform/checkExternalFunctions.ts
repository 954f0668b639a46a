import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ConfigValidationError,
  externalFunctionRef,
  isExternalFunction,
  type Registry,
  visibilityFitProblem,
} from "@sqs-dispatcher/config";
import { createLambdaFunctionInfoReader, createSqsQueueClient } from "@sqs-dispatcher/core/aws";

/**
 * Refuses, before any route is written, a registry route to an external function that the local
 * Lambda does not have, or whose timeout (as Lambda reports it) does not fit the queue's visibility
 * timeout: the rule the registry applies to the functions it builds, with the same message.
 */
export async function checkExternalFunctions(input: {
  registry: Registry;
  lambda: LambdaClient;
  sqs: SQSClient;
  /** The routes' queue URLs, in `registry.routes` order. */
  queueUrls: readonly string[];
}): Promise<void> {
  const reader = createLambdaFunctionInfoReader(input.lambda);
  const queues = createSqsQueueClient(input.sqs);
  const issues: { path: string; message: string }[] = [];
  for (const [i, route] of input.registry.routes.entries()) {
    const fn = input.registry.functions[route.function];
    const queueUrl = input.queueUrls[i];
    if (fn === undefined || !isExternalFunction(fn) || queueUrl === undefined) continue;
    const ref = externalFunctionRef(fn);
    const info = await reader.read(ref);
    if (info === undefined) {
      issues.push({
        path: `functions.${route.function}`,
        message: `function '${ref}' does not exist in the local cloud; create it first (aws --endpoint-url <edge> lambda create-function ...)`,
      });
      continue;
    }
    const visibilityTimeoutSec = await queues.visibilityTimeoutSec?.(queueUrl);
    if (visibilityTimeoutSec === undefined) continue;
    const problem = visibilityFitProblem({
      visibilityTimeoutSec,
      functionLabel: route.function,
      timeoutSec: info.timeoutSec,
      batchWindowSec: route.batchWindowSec,
    });
    if (problem !== undefined) {
      issues.push({
        path:
          problem.field === "visibility"
            ? `routes.${i}.queue.visibilityTimeoutSec`
            : `routes.${i}.batchWindowSec`,
        message: problem.message,
      });
    }
  }
  if (issues.length > 0) throw new ConfigValidationError("The dispatcher registry", issues);
}
