import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getMetricData, listMetrics } from "../cloudwatch/metricQueries.js";
import { MetricStore } from "../cloudwatch/metricStore.js";
import { createLambdaMetrics, LAMBDA_NAMESPACE, LambdaMetric, type LambdaMetrics } from "./lambdaMetrics.js";

const start = 1_800_000_000_000;

/** The publisher over the local CloudWatch's own store, with the running executions set by the test. */
function setup() {
  const store = new MetricStore({ now: () => Date.now() });
  const running = { byFunction: new Map<string, number>(), account: 0 };
  const metrics = createLambdaMetrics({
    put: (identity, sample) => store.put(identity, sample),
    now: () => Date.now(),
    running: () => running,
    sampleEveryMs: 1_000,
  });
  return { store, running, metrics };
}

/** One statistic of a metric over the test's first minute, as `GetMetricData` answers it (undefined: no data). */
function stat(
  store: MetricStore,
  metricName: string,
  functionName: string | undefined,
  statName: string,
): number | undefined {
  const out = getMetricData(store, {
    StartTime: start / 1000,
    EndTime: (start + 60_000) / 1000,
    MetricDataQueries: [
      {
        Id: "m",
        MetricStat: {
          Metric: {
            Namespace: LAMBDA_NAMESPACE,
            MetricName: metricName,
            Dimensions: functionName ? [{ Name: "FunctionName", Value: functionName }] : [],
          },
          Period: 60,
          Stat: statName,
        },
      },
    ],
  }) as { MetricDataResults: { Values: number[] }[] };
  return out.MetricDataResults[0]?.Values[0];
}

/** A metric's per-second `Maximum`, oldest first, as `GetMetricData` answers it for [from, to). */
function perSecond(
  store: MetricStore,
  metricName: string,
  functionName: string | undefined,
  window: { from: number; to: number },
): number[] {
  const out = getMetricData(store, {
    StartTime: window.from / 1000,
    EndTime: window.to / 1000,
    ScanBy: "TimestampAscending",
    MetricDataQueries: [
      {
        Id: "m",
        MetricStat: {
          Metric: {
            Namespace: LAMBDA_NAMESPACE,
            MetricName: metricName,
            Dimensions: functionName ? [{ Name: "FunctionName", Value: functionName }] : [],
          },
          Period: 1,
          Stat: "Maximum",
        },
      },
    ],
  }) as { MetricDataResults: { Values: number[] }[] };
  return out.MetricDataResults[0]?.Values ?? [];
}

let metrics: LambdaMetrics | undefined;
beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  metrics?.stop();
  metrics = undefined;
  vi.useRealTimers();
});

describe("AWS/Lambda metrics of the local Lambda service", () => {
  it("counts Invocations, Errors and Throttles per FunctionName and account-wide", () => {
    const s = setup();
    metrics = s.metrics;
    s.metrics.started("poller", { function: 1, account: 1 });
    s.metrics.finished("poller", 120, true);
    s.metrics.started("poller", { function: 1, account: 2 });
    s.metrics.started("record", { function: 1, account: 2 });
    s.metrics.finished("poller", 30_000, false);
    s.metrics.finished("record", 15, false);
    s.metrics.throttled("record");
    s.metrics.throttled("record");

    expect(stat(s.store, LambdaMetric.Invocations, "poller", "Sum")).toBe(2);
    expect(stat(s.store, LambdaMetric.Invocations, "record", "Sum")).toBe(1);
    expect(stat(s.store, LambdaMetric.Invocations, undefined, "Sum")).toBe(3);
    expect(stat(s.store, LambdaMetric.Errors, "poller", "Sum")).toBe(1);
    expect(stat(s.store, LambdaMetric.Errors, "record", "Sum")).toBe(1);
    expect(stat(s.store, LambdaMetric.Errors, undefined, "Sum")).toBe(2);
    expect(stat(s.store, LambdaMetric.Throttles, "record", "Sum")).toBe(2);
    // A function that was never throttled has no Throttles data, as on AWS (no zero samples).
    expect(stat(s.store, LambdaMetric.Throttles, "poller", "Sum")).toBeUndefined();
    expect(stat(s.store, LambdaMetric.Throttles, undefined, "Sum")).toBe(2);
  });

  it("publishes each execution's Duration in milliseconds, failed ones included", () => {
    const s = setup();
    metrics = s.metrics;
    s.metrics.finished("poller", 100, true);
    s.metrics.finished("poller", 300, false);
    s.metrics.finished("record", 7, true);
    expect(stat(s.store, LambdaMetric.Duration, "poller", "Sum")).toBe(400);
    expect(stat(s.store, LambdaMetric.Duration, "poller", "Maximum")).toBe(300);
    expect(stat(s.store, LambdaMetric.Duration, "poller", "SampleCount")).toBe(2);
    expect(stat(s.store, LambdaMetric.Duration, "record", "Average")).toBe(7);
    expect(stat(s.store, LambdaMetric.Duration, undefined, "SampleCount")).toBe(3);
  });

  it("samples ConcurrentExecutions at each start and every second while nothing changes", () => {
    const s = setup();
    metrics = s.metrics;
    s.running.byFunction.set("poller", 2);
    s.running.byFunction.set("record", 0);
    s.running.account = 2;
    s.metrics.started("poller", { function: 2, account: 2 });
    // Ten seconds of two executions running and nothing starting or ending.
    vi.advanceTimersByTime(10_000);
    const tenSeconds = { from: start, to: start + 10_500 };
    const poller = perSecond(s.store, LambdaMetric.ConcurrentExecutions, "poller", tenSeconds);
    // A sample at the start and one every second after it: no second without data.
    expect(poller).toEqual(Array.from({ length: 11 }, () => 2));
    expect(perSecond(s.store, LambdaMetric.ConcurrentExecutions, "record", tenSeconds)).toEqual(
      Array.from({ length: 10 }, () => 0),
    );
    expect(perSecond(s.store, LambdaMetric.ConcurrentExecutions, undefined, tenSeconds)).toEqual(
      Array.from({ length: 11 }, () => 2),
    );

    // One ends: the steady samples follow what runs now.
    s.running.byFunction.set("poller", 1);
    s.running.account = 1;
    s.metrics.finished("poller", 10_000, true);
    vi.advanceTimersByTime(5_000);
    const after = { from: start + 11_000, to: start + 15_500 };
    expect(perSecond(s.store, LambdaMetric.ConcurrentExecutions, "poller", after)).toEqual([1, 1, 1, 1, 1]);
    expect(perSecond(s.store, LambdaMetric.ConcurrentExecutions, undefined, after)).toEqual([1, 1, 1, 1, 1]);
  });

  it("lists each metric per FunctionName and without a dimension, as ListMetrics shows them", () => {
    const s = setup();
    metrics = s.metrics;
    s.metrics.started("poller", { function: 1, account: 1 });
    s.metrics.finished("poller", 10, false);
    s.metrics.throttled("poller");
    const listed = listMetrics(s.store, { Namespace: LAMBDA_NAMESPACE }, Date.now()) as {
      Metrics: { MetricName: string; Dimensions: { Name: string; Value: string }[] }[];
    };
    const names = (dimensioned: boolean) =>
      listed.Metrics.filter((m) => m.Dimensions.length > 0 === dimensioned)
        .map((m) => m.MetricName)
        .sort();
    const all = Object.values(LambdaMetric).sort();
    expect(names(true)).toEqual(all);
    expect(names(false)).toEqual(all);
    for (const m of listed.Metrics.filter((x) => x.Dimensions.length > 0)) {
      expect(m.Dimensions).toEqual([{ Name: "FunctionName", Value: "poller" }]);
    }
  });

  it("stops sampling once stopped", () => {
    const s = setup();
    s.running.byFunction.set("poller", 1);
    s.running.account = 1;
    s.metrics.stop();
    vi.advanceTimersByTime(5_000);
    expect(
      perSecond(s.store, LambdaMetric.ConcurrentExecutions, "poller", { from: start, to: start + 6_000 }),
    ).toEqual([]);
  });
});
