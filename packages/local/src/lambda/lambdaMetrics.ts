import type { MetricIdentity, MetricSample } from "../cloudwatch/metricStore.js";

/** The `AWS/Lambda` metrics Lambda publishes per function (dimension `FunctionName`) and account-wide. */
export const LambdaMetric = {
  Invocations: "Invocations",
  Errors: "Errors",
  Throttles: "Throttles",
  Duration: "Duration",
  ConcurrentExecutions: "ConcurrentExecutions",
} as const;
export type LambdaMetric = (typeof LambdaMetric)[keyof typeof LambdaMetric];

export const LAMBDA_NAMESPACE = "AWS/Lambda";

/** What the environment pool tells about executions. */
export interface ExecutionObserver {
  /** An execution started; `running` counts the function's and the account's executions now, this one included. */
  started(functionName: string, running: { function: number; account: number }): void;
  /** An execution ended after `durationMs`; `ok` false for a function error or timeout. */
  finished(functionName: string, durationMs: number, ok: boolean): void;
  /** An execution refused for lack of concurrency. */
  throttled(functionName: string): void;
}

export interface LambdaMetricsOptions {
  /** Where the samples go: the local CloudWatch's metric store. */
  put(identity: MetricIdentity, sample: MetricSample): void;
  now: () => number;
  /** The function's and the account's executions running now, for the steady samples. */
  running(): { byFunction: ReadonlyMap<string, number>; account: number };
  /** How often `ConcurrentExecutions` is sampled while nothing changes, ms (default 1 s). */
  sampleEveryMs?: number;
}

/** The publisher, with its sampler to stop. */
export interface LambdaMetrics extends ExecutionObserver {
  stop(): void;
}

/**
 * Publishes `AWS/Lambda` metrics as Lambda does, into the local CloudWatch: `Invocations`,
 * `Errors`, `Throttles` (Count) and `Duration` (Milliseconds) per execution, and
 * `ConcurrentExecutions` (Count: its `Maximum` over a period is the peak, as on AWS) at every
 * start and once a `sampleEveryMs` for every function, each per `FunctionName` and account-wide
 * without a dimension. So `GetMetricData` and `ListMetrics` show how many executions of a function
 * run and what they bill.
 */
export function createLambdaMetrics(options: LambdaMetricsOptions): LambdaMetrics {
  const put = (metric: LambdaMetric, functionName: string, value: number) => {
    const at = options.now();
    const sample = { timestamp: at, values: [value] };
    options.put(
      {
        Namespace: LAMBDA_NAMESPACE,
        MetricName: metric,
        Dimensions: [{ Name: "FunctionName", Value: functionName }],
      },
      sample,
    );
    options.put({ Namespace: LAMBDA_NAMESPACE, MetricName: metric, Dimensions: [] }, { ...sample });
  };
  const concurrent = (functionName: string, fn: number, account: number) => {
    const at = options.now();
    options.put(
      {
        Namespace: LAMBDA_NAMESPACE,
        MetricName: LambdaMetric.ConcurrentExecutions,
        Dimensions: [{ Name: "FunctionName", Value: functionName }],
      },
      { timestamp: at, values: [fn] },
    );
    options.put(
      { Namespace: LAMBDA_NAMESPACE, MetricName: LambdaMetric.ConcurrentExecutions, Dimensions: [] },
      { timestamp: at, values: [account] },
    );
  };
  const sampler = setInterval(() => {
    const { byFunction, account } = options.running();
    const at = options.now();
    for (const [functionName, n] of byFunction) {
      options.put(
        {
          Namespace: LAMBDA_NAMESPACE,
          MetricName: LambdaMetric.ConcurrentExecutions,
          Dimensions: [{ Name: "FunctionName", Value: functionName }],
        },
        { timestamp: at, values: [n] },
      );
    }
    options.put(
      { Namespace: LAMBDA_NAMESPACE, MetricName: LambdaMetric.ConcurrentExecutions, Dimensions: [] },
      { timestamp: at, values: [account] },
    );
  }, options.sampleEveryMs ?? 1_000);
  sampler.unref();
  return {
    started(functionName, running) {
      put(LambdaMetric.Invocations, functionName, 1);
      concurrent(functionName, running.function, running.account);
    },
    finished(functionName, durationMs, ok) {
      put(LambdaMetric.Duration, functionName, durationMs);
      if (!ok) put(LambdaMetric.Errors, functionName, 1);
    },
    throttled(functionName) {
      put(LambdaMetric.Throttles, functionName, 1);
    },
    stop: () => clearInterval(sampler),
  };
}
