import type { Clock } from "../clock.js";
import type { LoopEvent } from "../lease/token.js";
import type { Logger } from "../logger.js";
import { type BackoffPolicy, backoffDelayMs } from "./backoff.js";
import { describeError } from "./describeError.js";
import type { LoopStarter } from "./ports.js";

/** Self-invoke attempts at the end of an invocation. */
export const recurseAttempts = 4;

export interface RecurseDeps {
  starter: LoopStarter;
  clock: Pick<Clock, "sleep">;
  retry: BackoffPolicy;
  logger: Pick<Logger, "warn" | "error">;
}

/**
 * DESIGN.md's step 4: re-invokes the loop asynchronously with the same event, the
 * invocation's last act. Retried with backoff; when every attempt fails the token goes
 * stale and restart claims it for a new loop, so this never throws.
 *
 * A retried attempt may start a duplicate invocation when an earlier attempt's Invoke
 * actually landed; the invocation fence in the heartbeat ends the older of the two.
 *
 * @returns whether a self-invoke was accepted.
 */
export async function recurse(deps: RecurseDeps, event: LoopEvent): Promise<boolean> {
  for (let attempt = 0; attempt < recurseAttempts; attempt++) {
    if (attempt > 0) await deps.clock.sleep(backoffDelayMs(attempt - 1, deps.retry));
    try {
      await deps.starter.start(event);
      return true;
    } catch (error) {
      deps.logger.warn("self-invoke failed", { error: describeError(error), attempt });
    }
  }
  deps.logger.error("self-invoke failed after retries; restart will claim the token once it is stale");
  return false;
}
