import { describe, expect, it } from "vitest";
import type { WireTimestamp } from "./cloudWatchWire.js";
import { parseEmfLine } from "./emfLine.js";
import { getMetricData, statistic } from "./metricQueries.js";
import { MetricStore } from "./metricStore.js";

const metric = { Namespace: "N", MetricName: "M", Dimensions: [{ Name: "Queue", Value: "q" }] };

describe("statistic", () => {
  it("computes CloudWatch's statistics and nearest-rank percentiles", () => {
    const values = [5, 1, 4, 2, 3];
    expect(statistic(values, "Sum")).toBe(15);
    expect(statistic(values, "Average")).toBe(3);
    expect(statistic(values, "Minimum")).toBe(1);
    expect(statistic(values, "Maximum")).toBe(5);
    expect(statistic(values, "SampleCount")).toBe(5);
    expect(statistic(values, "p50")).toBe(3);
    expect(statistic(values, "p99")).toBe(5);
    expect(statistic(values, "p99.9")).toBe(5);
    expect(statistic(values, "tm90")).toBeUndefined();
  });
});

describe("getMetricData", () => {
  it("buckets samples by period aligned to the epoch, newest first, dimensions in any order", () => {
    const store = new MetricStore({ now: () => 200_000 });
    store.put(metric, { timestamp: 60_000, values: [1, 2] });
    store.put(metric, { timestamp: 119_999, values: [3] });
    store.put(metric, { timestamp: 120_000, values: [10] });
    const out = getMetricData(store, {
      StartTime: 90,
      EndTime: 200,
      MetricDataQueries: [{ Id: "a", MetricStat: { Metric: metric, Period: 60, Stat: "Sum" } }],
    }) as { MetricDataResults: { Timestamps: WireTimestamp[]; Values: number[] }[] };
    const [result] = out.MetricDataResults;
    expect(result?.Timestamps.map((t) => t.epochMs)).toEqual([120_000, 60_000]);
    expect(result?.Values).toEqual([10, 6]);
  });

  it("names the field a bad input got wrong", () => {
    const store = new MetricStore({ now: () => 0 });
    expect(() =>
      getMetricData(store, { StartTime: 10, EndTime: 5, MetricDataQueries: [{ Id: "a" }] }),
    ).toThrow("StartTime must be before EndTime");
    expect(() =>
      getMetricData(store, { StartTime: 1, EndTime: 5, MetricDataQueries: [{ Id: "A" }] }),
    ).toThrow("MetricDataQueries.0.Id: Id must start with a lowercase letter");
  });
});

describe("parseEmfLine", () => {
  it("reads each dimension set of each directive, arrays and single values", () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1234,
        CloudWatchMetrics: [
          { Namespace: "N", Dimensions: [["Queue"], []], Metrics: [{ Name: "M", Unit: "Count" }] },
        ],
      },
      Queue: "q",
      M: [1, 2],
    });
    const data = parseEmfLine(line, 0);
    expect(data).toEqual([
      { identity: metric, sample: { timestamp: 1234, values: [1, 2] }, unit: "Count" },
      { identity: { ...metric, Dimensions: [] }, sample: { timestamp: 1234, values: [1, 2] }, unit: "Count" },
    ]);
  });

  it("is not fooled by log lines", () => {
    expect(parseEmfLine("hello", 0)).toBeUndefined();
    expect(parseEmfLine('{"level":"INFO","message":"_aws"}', 0)).toBeUndefined();
    expect(parseEmfLine('{"_aws": broken', 0)).toBeUndefined();
  });
});
