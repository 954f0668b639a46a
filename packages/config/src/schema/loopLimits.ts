import { z } from "zod";
import { loopsTotal, PlatformLimits } from "../limits.js";
import { listOffenders } from "../offenderList.js";

/** The platform's named ceilings on loops (docs/limits.md). */
export const loopLimitsSchema = z.strictObject({
  /** The most loops one route may have (`maxLoops`). */
  maxLoopsPerRoute: z
    .int()
    .min(1)
    .max(PlatformLimits.maxLoopsPerRouteCeiling)
    .default(PlatformLimits.defaultMaxLoopsPerRoute),
  /**
   * The most handler invocations the platform may run at once: the sum over routes of
   * `maxLoops × concurrency`. Keep it inside the account's Lambda concurrency.
   */
  maxLoopsTotal: z
    .int()
    .min(1)
    .max(PlatformLimits.maxLoopsTotalCeiling)
    .default(PlatformLimits.defaultMaxLoopsTotal),
});
export type LoopLimits = z.infer<typeof loopLimitsSchema>;

/** What {@link loopLimitIssues} needs of a route. */
export interface LoopBudget {
  queueName: string;
  maxLoops: number;
  concurrency: number;
}

/**
 * The registry's loop limits applied to a set of routes (the registry's own, or the stored routes
 * with an edit applied, as `routes set` checks them). Each issue names the route (by its index in
 * `routes`) or, for the total, the largest routes that count towards it (`listOffenders`).
 */
export function loopLimitIssues(
  routes: readonly LoopBudget[],
  limits: LoopLimits,
): { index?: number; field: "maxLoops"; message: string }[] {
  const issues: { index?: number; field: "maxLoops"; message: string }[] = [];
  routes.forEach((route, index) => {
    if (route.maxLoops > limits.maxLoopsPerRoute) {
      issues.push({
        index,
        field: "maxLoops",
        message: `maxLoops (${route.maxLoops}) of queue '${route.queueName}' exceeds limits.maxLoopsPerRoute (${limits.maxLoopsPerRoute}); lower maxLoops or raise limits.maxLoopsPerRoute in dispatcher.config.ts`,
      });
    }
  });
  const total = loopsTotal(routes);
  if (total > limits.maxLoopsTotal) {
    const parts = [...routes]
      .sort((a, b) => b.maxLoops * b.concurrency - a.maxLoops * a.concurrency)
      .map((r) => `${r.queueName} ${r.maxLoops}×${r.concurrency}`);
    issues.push({
      field: "maxLoops",
      message: `the routes' maxLoops × concurrency add up to ${total} (${listOffenders(parts)}), above limits.maxLoopsTotal (${limits.maxLoopsTotal}); lower maxLoops or concurrency, or raise limits.maxLoopsTotal within the account's Lambda concurrency`,
    });
  }
  return issues;
}
