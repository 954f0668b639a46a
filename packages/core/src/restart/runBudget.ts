/** Time kept back from a restart invocation's remaining time to log its summary and return, ms. */
export const RESTART_RETURN_MARGIN_MS = 2_000;

/**
 * A restart run's time box: no longer than its schedule's interval (so a run ends before the
 * next one starts and two runs rarely overlap) and no longer than the invocation has left, less
 * a margin to write the summary line and return.
 *
 * @param intervalMs the restart interval, or undefined when unknown
 * @param remainingMs the invocation's remaining time (Lambda's `getRemainingTimeInMillis()`)
 * @example
 * await restart.run({ budgetMs: restartBudgetMs(60_000, context.getRemainingTimeInMillis()) });
 */
export function restartBudgetMs(intervalMs: number | undefined, remainingMs: number): number {
  const margin = Math.min(RESTART_RETURN_MARGIN_MS, remainingMs / 10);
  const byTime = Math.max(0, remainingMs - margin);
  return intervalMs === undefined ? byTime : Math.max(0, Math.min(intervalMs, byTime));
}
