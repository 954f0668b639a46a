import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import type { LoopStarter } from "../lease/ports.js";
import type { LoopEvent } from "../lease/token.js";
import type { Logger } from "../logger.js";
import { type BackoffPolicy, backoffDelayMs } from "../retry/backoff.js";

export interface RecurseDeps {
  starter: LoopStarter;
  clock: Pick<Clock, "sleep">;
  retry: BackoffPolicy;
  logger: Pick<Logger, "warn" | "error">;
  /** The invocation's remaining time, ms. */
  remainingTimeMs: () => number;
  /** Time kept back when retrying stops, so the invocation can still end cleanly. */
  reserveMs: number;
}

/**
 * The recursion (docs/protocol.md, "Recurse"): re-invokes the loop asynchronously with the same event, the
 * invocation's last act, retried with backoff until the invocation's time is nearly spent,
 * so a Lambda API blip of a few seconds does not stop the loop. When it still fails the
 * caller ends the invocation with an error: Lambda's own async retry then runs the same event
 * again (and the invocation fence settles any duplicate), long before the token would be stale.
 *
 * A retried attempt may start a duplicate invocation when an earlier attempt's Invoke
 * actually landed; the invocation fence in the heartbeat ends the older of the two.
 *
 * @returns whether a self-invoke was accepted.
 */
export async function recurse(deps: RecurseDeps, event: LoopEvent): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.starter.start(event);
      return true;
    } catch (error) {
      const delay = backoffDelayMs(attempt, deps.retry);
      if (deps.remainingTimeMs() - delay < deps.reserveMs) {
        deps.logger.error(
          "self-invoke failed until the invocation ran out of time; Lambda retries this event",
          {
            error: describeError(error),
            attempts: attempt + 1,
          },
        );
        return false;
      }
      deps.logger.warn("self-invoke failed; retrying", {
        error: describeError(error),
        attempt,
        delayMs: delay,
      });
      await deps.clock.sleep(delay);
    }
  }
}
