/** The poller and restart settings a route's timing must fit (seconds). */
export interface LoopTiming {
  /** The poller function's timeout: one invocation. */
  timeoutSec: number;
  waitTimeSec: number;
  marginSec: number;
  renewEverySec: number;
  /** Restart's stale threshold. */
  staleAfterSec: number;
}

/** What of a route its timing depends on (seconds). */
export interface RouteTimingInput {
  queueName: string;
  batchWindowSec: number;
  /** The function the route invokes (for the message). */
  functionName: string;
  /** That function's own timeout. */
  handlerTimeoutSec: number;
}

/** Which rule a route breaks. */
export const RouteFitRule = {
  /** One batch (long poll, batching window, handler, margin) does not fit one poller invocation. */
  Invocation: "invocation",
  /** The longest gap between lease renewals reaches restart's stale threshold. */
  Staleness: "staleness",
} as const;
export type RouteFitRule = (typeof RouteFitRule)[keyof typeof RouteFitRule];

/** A rule a route breaks, with the message a user sees (it names the numbers to change). */
export interface RouteFitProblem {
  rule: RouteFitRule;
  message: string;
  /** The longest batching window that would fit (negative: none does). */
  maxBatchWindowSec: number;
}

/**
 * Whether a route's timing fits the loop that runs it, the one rule every entry applies (the
 * registry, the stack, the local deploy, `routes set`, and the poller before it starts a batch):
 *
 * - **One batch fits one invocation**: `waitTimeSec` + the route's `batchWindowSec` + the route's
 *   own handler timeout + `marginSec` ≤ the poller's `timeoutSec`. A loop starts a batch only when
 *   all of it can finish before the invocation must recurse; a route that could never fit would
 *   have its loop recurse without receiving.
 * - **Renewals outrun staleness**: `renewEverySec` + `waitTimeSec` + the route's `batchWindowSec` +
 *   `marginSec` < `staleAfterSec`. A loop cannot renew during one receive (the long poll and the
 *   batching window); a longer gap lets restart take over a live loop.
 *
 * @returns the rules broken, none when the route fits.
 * @example
 * const problems = checkRouteFits({ queueName: "orders", batchWindowSec: 16, functionName: "record", handlerTimeoutSec: 10 }, timing);
 * if (problems.length > 0) throw new Error(problems.map((p) => p.message).join("; "));
 */
export function checkRouteFits(route: RouteTimingInput, timing: LoopTiming): RouteFitProblem[] {
  const problems: RouteFitProblem[] = [];
  const { waitTimeSec, marginSec, renewEverySec, timeoutSec, staleAfterSec } = timing;
  const window = route.batchWindowSec;
  const batchSec = waitTimeSec + window + route.handlerTimeoutSec + marginSec;
  if (batchSec > timeoutSec) {
    const maxBatchWindowSec = timeoutSec - waitTimeSec - route.handlerTimeoutSec - marginSec;
    problems.push({
      rule: RouteFitRule.Invocation,
      maxBatchWindowSec,
      message: `route '${route.queueName}': one batch does not fit one poller invocation: waitTimeSec (${waitTimeSec}s) + batchWindowSec (${window}s) + the timeout of function '${route.functionName}' (${route.handlerTimeoutSec}s) + marginSec (${marginSec}s) = ${batchSec}s > poller timeoutSec (${timeoutSec}s); ${windowAdvice(maxBatchWindowSec)}, shorten the function's timeout, or raise poller timeoutSec to at least ${batchSec}s`,
    });
  }
  const gapSec = renewEverySec + waitTimeSec + window + marginSec;
  if (gapSec >= staleAfterSec) {
    const maxBatchWindowSec = staleAfterSec - 1 - renewEverySec - waitTimeSec - marginSec;
    problems.push({
      rule: RouteFitRule.Staleness,
      maxBatchWindowSec,
      message: `route '${route.queueName}': its loops' lease would go stale between renewals: renewEverySec (${renewEverySec}s) + waitTimeSec (${waitTimeSec}s) + batchWindowSec (${window}s) + marginSec (${marginSec}s) = ${gapSec}s, not below restart staleAfterSec (${staleAfterSec}s); ${windowAdvice(maxBatchWindowSec)}, lower renewEverySec, or raise staleAfterSec above ${gapSec}s`,
    });
  }
  return problems;
}

function windowAdvice(maxBatchWindowSec: number): string {
  return maxBatchWindowSec >= 0
    ? `shorten batchWindowSec to at most ${maxBatchWindowSec}s`
    : "no batching window fits these settings";
}
