/** AWS limits the registry is checked against (SQS, Lambda and CloudWatch service quotas). */
export const AwsLimits = {
  sqsBatchMax: 10,
  /** Lambda's SQS event source: batch size on a standard queue with a batching window. */
  standardBatchMax: 10_000,
  /** Lambda's SQS event source: the longest batching window. */
  batchWindowMaxSec: 300,
  /** Synchronous Invoke: request payload limit (6 MB). */
  syncInvokePayloadMaxBytes: 6_291_456,
  sqsWaitTimeMaxSec: 20,
  sqsVisibilityMaxSec: 43_200,
  sqsRetentionMinSec: 60,
  sqsRetentionMaxSec: 1_209_600,
  sqsMaxReceiveCountMax: 1_000,
  /** The longest queue URL SQS hands out is far shorter; 2,048 is the generous bound of a URL. */
  sqsQueueUrlMaxLength: 2_048,
  lambdaTimeoutMaxSec: 900,
  lambdaMemoryMinMb: 128,
  lambdaMemoryMaxMb: 10_240,
  /** CloudWatch alarms: the periods below a minute that it accepts (high resolution). */
  cloudWatchSubMinutePeriodsSec: [10, 30],
  /** CloudWatch alarms: evaluationPeriods × periodSec must not exceed one day. */
  cloudWatchEvaluationWindowMaxSec: 86_400,
  /** SSM Parameter Store: a Standard parameter's value, in characters (4 KB). */
  ssmStandardValueMaxChars: 4_096,
  /** SSM Parameter Store: an Advanced parameter's value, in characters (8 KB). */
  ssmAdvancedValueMaxChars: 8_192,
  /** DynamoDB: an item, attribute names and values together (400 KB). */
  dynamoItemMaxBytes: 409_600,
  /** DynamoDB: the longest sort key (the token), in bytes. */
  dynamoSortKeyMaxBytes: 1_024,
} as const;

/**
 * Environment keys Lambda reserves (the developer guide's "Defined runtime environment variables"):
 * a function that sets one is refused by Lambda at deploy time, so the registry refuses it first.
 */
export const lambdaReservedEnvironmentKeys: readonly string[] = [
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
];

/**
 * The platform's own ceilings on numbers a user types. They bound what one route or one
 * registry can ask of restart (which builds one slot id per loop), of scale-up (which starts
 * `scaleStep` loops per ALARM) and of the account's Lambda concurrency.
 */
export const PlatformLimits = {
  /** `limits.maxLoopsPerRoute` when the registry does not say. */
  defaultMaxLoopsPerRoute: 50,
  /** `limits.maxLoopsTotal` when the registry does not say. */
  defaultMaxLoopsTotal: 200,
  /**
   * The most loops any route may have, whatever the registry says: the stored-route schema holds
   * every route to it, so a route edited past the registry (by hand in SSM) still cannot make
   * restart build more slot ids than this.
   */
  maxLoopsPerRouteCeiling: 1_000,
  /** The highest `limits.maxLoopsTotal` a registry may set (the sum of maxLoops × concurrency). */
  maxLoopsTotalCeiling: 10_000,
} as const;

/** What the loop limits read of a route. */
export interface LoopCounts {
  queueName: string;
  minLoops: number;
  maxLoops: number;
  scaleStep: number;
  concurrency: number;
}

/** The registry's loop limits, as {@link limitRoutes} applies them. */
export interface LoopLimitValues {
  maxLoopsPerRoute: number;
  maxLoopsTotal: number;
}

/**
 * The handler invocations a set of routes may run at once: Σ `maxLoops × concurrency`. The
 * registry's check (`loopLimitIssues`) and the run-time clamp ({@link limitRoutes}) both count with it.
 */
export function loopsTotal(routes: readonly Pick<LoopCounts, "maxLoops" | "concurrency">[]): number {
  return routes.reduce((sum, r) => sum + r.maxLoops * r.concurrency, 0);
}

/** A route as run time obeys it, and why it differs from the stored one (undefined: it does not). */
export type LimitedRoute<R extends LoopCounts> = R & { clamped?: string };

/**
 * Applies the registry's loop limits to the stored routes, as restart, scale-up and the console
 * and CLI scale actions do before making loops: a route is held to `maxLoopsPerRoute`, and when the
 * routes together exceed `maxLoopsTotal` (counted as {@link loopsTotal}) their `maxLoops` are cut
 * fairly (the largest first, to a common level; by queue name where equal) until they fit. `minLoops` and `scaleStep` never exceed the clamped `maxLoops`. A changed route carries
 * `clamped` (e.g. `minLoops 5000 > 50`), which status shows: whoever wrote it is not obeyed.
 *
 * @example limitRoutes(await routes.list(), registry.limits)
 */
export function limitRoutes<R extends LoopCounts>(
  routes: readonly R[],
  limits: LoopLimitValues,
): LimitedRoute<R>[] {
  const caps = routes.map((r) => Math.min(r.maxLoops, limits.maxLoopsPerRoute));
  const total = loopsTotal(routes.map((r, i) => ({ maxLoops: caps[i] ?? 0, concurrency: r.concurrency })));
  const allowed = total <= limits.maxLoopsTotal ? caps : fairShares(routes, caps, limits.maxLoopsTotal);
  return routes.map((route, i) => {
    const maxLoops = allowed[i] ?? 0;
    const reasons: string[] = [];
    if (route.maxLoops > limits.maxLoopsPerRoute) {
      reasons.push(`maxLoops ${route.maxLoops} > ${limits.maxLoopsPerRoute} (limits.maxLoopsPerRoute)`);
    }
    if (route.minLoops > maxLoops) reasons.push(`minLoops ${route.minLoops} > ${maxLoops}`);
    if (maxLoops < Math.min(route.maxLoops, limits.maxLoopsPerRoute)) {
      reasons.push(
        `maxLoops cut to ${maxLoops}: the routes' loops × concurrency exceed limits.maxLoopsTotal (${limits.maxLoopsTotal})`,
      );
    }
    if (reasons.length === 0) return route;
    return {
      ...route,
      maxLoops,
      minLoops: Math.min(route.minLoops, maxLoops),
      scaleStep: Math.max(1, Math.min(route.scaleStep, maxLoops)),
      clamped: `clamped: ${reasons.join("; ")}`,
    };
  });
}

/**
 * The largest per-route loop counts, each at most its cap, whose Σ count × concurrency fits
 * `budget`: a common level is raised while it fits (max-min fairness), then the routes still below
 * their cap get one more each, by queue name, while the budget lasts. A route may get 0 when the
 * budget cannot give every route one loop.
 */
function fairShares(routes: readonly LoopCounts[], caps: readonly number[], budget: number): number[] {
  const cost = (level: number) =>
    routes.reduce((sum, r, i) => sum + Math.min(caps[i] ?? 0, level) * r.concurrency, 0);
  let low = 0;
  let high = Math.max(0, ...caps);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (cost(mid) <= budget) low = mid;
    else high = mid - 1;
  }
  const shares = caps.map((cap) => Math.min(cap, low));
  let left = budget - cost(low);
  const order = routes.map((r, i) => ({ r, i })).sort((a, b) => a.r.queueName.localeCompare(b.r.queueName));
  for (const { r, i } of order) {
    if ((shares[i] ?? 0) < (caps[i] ?? 0) && r.concurrency <= left) {
      shares[i] = (shares[i] ?? 0) + 1;
      left -= r.concurrency;
    }
  }
  return shares;
}

/**
 * The poller's reserved concurrency, from the registry's loop limits: at most `maxLoopsTotal` loops
 * run at once whatever routes are stored (restart and scale-up clamp every route, and Σ maxLoops ≤
 * Σ maxLoops × concurrency ≤ `maxLoopsTotal`), plus headroom for the moments two invocations hold
 * one loop: a loop's self-invoke starts before its invocation returns, and a stale loop that
 * restart replaced may still be finishing. Headroom: a quarter of the loops, at least 10.
 * docs/limits.md states the same formula.
 *
 * @example pollerReservedConcurrency({ maxLoopsPerRoute: 50, maxLoopsTotal: 200 }) // 250
 */
export function pollerReservedConcurrency(limits: LoopLimitValues): number {
  return limits.maxLoopsTotal + Math.max(10, Math.ceil(limits.maxLoopsTotal / 4));
}
