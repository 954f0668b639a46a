import { visibilityFitProblem } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import type { VisibilityTimeoutCache } from "../dispatch/extendVisibility.js";
import { NotRunReason } from "../errors.js";
import type { FunctionInfoCache } from "../functions/functionInfoCache.js";
import type { Logger } from "../logger.js";
import type { QueueClient } from "../queue/ports.js";

/** How long a queue's visibility timeout read here is reused (the visibility extender's cache too). */
const visibilityReuseMs = 60_000;

/** What a route's handler allows a loop: the time budget of a batch, or why it must not receive. */
export type FunctionFit = { ok: true; handlerMs: number } | { ok: false; blockedReason: string };

export interface FunctionFitDeps {
  functions: FunctionInfoCache;
  queue: Pick<QueueClient, "visibilityTimeoutSec">;
  clock: Pick<Clock, "now">;
  logger: Pick<Logger, "debug" | "warn">;
  visibilityCache: VisibilityTimeoutCache;
  /** The deploy-time handler budget of a function, ms, used while its timeout cannot be read. */
  defaultHandlerMsOf(functionName: string): number;
}

/**
 * The budget of a batch for the route's function, from its timeout as Lambda reports it now (cached
 * with a TTL): a loop adapts its budget to a function whose timeout changed, and receives nothing,
 * saying why (`function-timeout: ...`), while that timeout does not fit the queue's visibility
 * timeout (the rule `routes set` and the deploys apply). A function that cannot be read (missing, or
 * another account's without read permission) keeps the deploy-time budget: the invoke path says
 * whether it can run. A function Lambda says does not exist blocks the route (`function-not-found`).
 */
export function createFunctionFit(deps: FunctionFitDeps) {
  async function visibilitySecOf(queueUrl: string): Promise<number | undefined> {
    const cached = deps.visibilityCache.get(queueUrl);
    if (cached && deps.clock.now() - cached.at < visibilityReuseMs) return cached.sec;
    if (!deps.queue.visibilityTimeoutSec) return undefined;
    try {
      const sec = await deps.queue.visibilityTimeoutSec(queueUrl);
      deps.visibilityCache.set(queueUrl, { sec, at: deps.clock.now() });
      return sec;
    } catch {
      return cached?.sec;
    }
  }

  return async function fitOf(
    queueUrl: string,
    route: { functionName: string; batchWindowSec: number },
  ): Promise<FunctionFit> {
    let timeoutSec: number;
    try {
      const info = await deps.functions.get(route.functionName);
      // Known missing before any batch is received for it: the loop receives nothing, as after an
      // invoke that found no function, and says so at once (the cache notices a re-created function).
      if (info === undefined) return { ok: false, blockedReason: NotRunReason.NotFound };
      timeoutSec = info.timeoutSec;
    } catch (error) {
      deps.logger.debug("cannot read the handler's configuration; keeping the deploy-time budget", {
        functionName: route.functionName,
        error: describeError(error),
      });
      return { ok: true, handlerMs: deps.defaultHandlerMsOf(route.functionName) };
    }
    const visibilityTimeoutSec = await visibilitySecOf(queueUrl);
    const problem =
      visibilityTimeoutSec === undefined
        ? undefined
        : visibilityFitProblem({
            visibilityTimeoutSec,
            functionLabel: route.functionName,
            timeoutSec,
            batchWindowSec: route.batchWindowSec,
          });
    if (problem !== undefined) return { ok: false, blockedReason: `function-timeout: ${problem.message}` };
    return { ok: true, handlerMs: timeoutSec * 1000 };
  };
}
