import { checkRouteFits, type LoopTiming, type Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import type { LoopLog } from "./loopInvocation.js";

/** The token's `blockedReason` while a lane's route cannot fit its loop's timing. */
export const budgetBlockedReason = "budget";

/** How often a lane whose route does not fit logs its one error line. */
const budgetLogEveryMs = 60_000;

/**
 * The poller's own application of {@link checkRouteFits}, for a route edited behind the CLI's
 * checks: a lane whose route does not fit starts no batch, logs one error a minute naming the
 * numbers to change, and shows `blocked: budget` on its token until the route fits again.
 */
export interface RouteFitGate {
  /** Whether a batch of `route`, whose handler times out after `handlerTimeoutSec`, fits now. */
  fits(route: Route, handlerTimeoutSec: number): boolean;
  /** `budget` while the route does not fit; undefined otherwise. */
  blockedReason(): string | undefined;
}

export interface RouteFitGateDeps {
  clock: Pick<Clock, "monotonic">;
  log: Pick<LoopLog, "info" | "error">;
  /** The loop's timing; `staleAfterSec` may be unknown (the staleness rule is then not checked here). */
  timing: () => Omit<LoopTiming, "staleAfterSec"> & { staleAfterSec?: number };
  /** Called when the blocked state changes, so the token shows it at once. */
  onChange(): void;
  /** When this queue's error was last logged (monotonic ms), kept across warm invocations. */
  loggedAt: Map<string, number>;
  queueUrl: string;
}

export function createRouteFitGate(deps: RouteFitGateDeps): RouteFitGate {
  let blocked = false;
  return {
    fits(route, handlerTimeoutSec) {
      const timing = deps.timing();
      const problems = checkRouteFits(
        {
          queueName: route.queueName,
          batchWindowSec: route.batchWindowSec,
          functionName: route.functionName,
          handlerTimeoutSec,
        },
        { ...timing, staleAfterSec: timing.staleAfterSec ?? Number.POSITIVE_INFINITY },
      );
      const fits = problems.length === 0;
      const now = deps.clock.monotonic();
      if (!fits && now - (deps.loggedAt.get(deps.queueUrl) ?? Number.NEGATIVE_INFINITY) >= budgetLogEveryMs) {
        deps.loggedAt.set(deps.queueUrl, now);
        deps.log.error(
          `the route does not fit its loop's timing; the loop receives nothing until it does: ${problems.map((p) => p.message).join("; ")}`,
          { reason: budgetBlockedReason, rules: problems.map((p) => p.rule) },
        );
      }
      if (fits === !blocked) return fits;
      blocked = !fits;
      if (fits) deps.log.info("the route fits its loop's timing again");
      deps.onChange();
      return fits;
    },
    blockedReason: () => (blocked ? budgetBlockedReason : undefined),
  };
}
