import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { isRetryable } from "../errors.js";
import type { Logger } from "../logger.js";
import { type BackoffPolicy, backoffDelayMs } from "../poller/backoff.js";
import { describeError } from "../poller/describeError.js";
import type { QueueMessage } from "../poller/ports.js";
import type { FunctionInvoker, InvokeResult } from "./ports.js";
import { toSqsEvent } from "./sqsEvent.js";

/** Attempts of a throttled/5xx handler invoke within a cycle. */
export const invokeAttempts = 3;

export interface InvokeHandlerDeps {
  invoker: FunctionInvoker;
  clock: Pick<Clock, "sleep">;
  retry: BackoffPolicy;
  logger: Pick<Logger, "warn" | "error">;
  /** Region for event ARNs when the queue URL's host does not name one. */
  region: string;
  /** Runs the invoke while keeping the batch invisible (see `createVisibilityExtender`). */
  whileExtendingVisibility: <T>(messages: readonly QueueMessage[], work: () => Promise<T>) => Promise<T>;
}

/**
 * Invokes the route's handler synchronously with the batch shaped as Lambda's SQS event
 * source shapes it (DESIGN.md step 3), retrying retryable invoke errors. Never throws:
 * an invoke that keeps failing reads as a `FunctionError`, so the whole batch returns
 * to the queue by visibility timeout like any failed batch.
 */
export async function invokeHandler(
  deps: InvokeHandlerDeps,
  queueUrl: string,
  route: Pick<Route, "functionName">,
  messages: readonly QueueMessage[],
): Promise<InvokeResult> {
  const payload = toSqsEvent(messages, queueUrl, deps.region);
  for (let attempt = 0; ; attempt++) {
    try {
      return await deps.whileExtendingVisibility(messages, () =>
        deps.invoker.invoke(route.functionName, payload),
      );
    } catch (error) {
      if (isRetryable(error) && attempt + 1 < invokeAttempts) {
        deps.logger.warn("handler invoke failed; retrying", {
          functionName: route.functionName,
          error: describeError(error),
        });
        await deps.clock.sleep(backoffDelayMs(attempt, deps.retry));
        continue;
      }
      deps.logger.error("handler invoke failed; the batch returns to the queue", {
        functionName: route.functionName,
        error: describeError(error),
      });
      return { functionError: "InvokeFailed" };
    }
  }
}
