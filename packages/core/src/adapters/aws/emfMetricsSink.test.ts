import { describe, expect, it } from "vitest";
import { PollerMetric } from "../../metrics/ports.js";
import { createEmfMetricsSink } from "./emfMetricsSink.js";

function setup(flushEveryMs?: number) {
  let now = 1_000_000;
  const lines: Record<string, unknown>[] = [];
  const sink = createEmfMetricsSink({
    stage: "prod",
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    clock: { now: () => now },
    ...(flushEveryMs !== undefined ? { flushEveryMs } : {}),
  });
  return {
    sink,
    lines,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("createEmfMetricsSink", () => {
  it("writes one EMF line per queue on flush, with Stage and Queue dimensions and units", () => {
    const { sink, lines } = setup();
    sink.add("invoices", PollerMetric.MessagesSucceeded, 10);
    sink.add("invoices", PollerMetric.MessagesSucceeded, 3);
    sink.add("invoices", PollerMetric.HandlerDuration, 42);
    sink.add("orders", PollerMetric.MessagesFailed, 1);
    expect(lines).toHaveLength(0);
    sink.flush();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      _aws: {
        Timestamp: 1_000_000,
        CloudWatchMetrics: [
          {
            Namespace: "SqsDispatcher",
            Dimensions: [["Stage", "Queue"]],
            Metrics: [
              { Name: "MessagesSucceeded", Unit: "Count" },
              { Name: "HandlerDuration", Unit: "Milliseconds" },
            ],
          },
        ],
      },
      Stage: "prod",
      Queue: "invoices",
      MessagesSucceeded: [10, 3],
      HandlerDuration: [42],
    });
    expect(lines[1]).toMatchObject({ Queue: "orders", MessagesFailed: [1] });
    sink.flush();
    expect(lines).toHaveLength(2);
  });

  it("flushes by itself once its window has passed", () => {
    const { sink, lines, advance } = setup(5_000);
    sink.add("q", PollerMetric.Batches, 1);
    advance(4_999);
    sink.add("q", PollerMetric.Batches, 1);
    expect(lines).toHaveLength(0);
    advance(1);
    sink.add("q", PollerMetric.Batches, 1);
    expect(lines).toEqual([expect.objectContaining({ Batches: [1, 1, 1] })]);
  });

  it("splits more than 100 samples of a metric over several lines", () => {
    const { sink, lines } = setup();
    for (let i = 0; i < 250; i++) sink.add("q", PollerMetric.HandlerDuration, i);
    sink.add("q", PollerMetric.Batches, 1);
    sink.flush();
    expect(lines.map((l) => (l["HandlerDuration"] as number[] | undefined)?.length)).toEqual([100, 100, 50]);
    expect(lines.filter((l) => "Batches" in l)).toHaveLength(1);
    const listed = (l: Record<string, unknown>) =>
      (
        l["_aws"] as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }
      ).CloudWatchMetrics[0]?.Metrics.map((m) => m.Name);
    expect(listed(lines[2] ?? {})).toEqual(["HandlerDuration"]);
  });

  it("ignores samples that are not finite numbers and survives a failing writer", () => {
    const sink = createEmfMetricsSink({
      stage: "s",
      write: () => {
        throw new Error("closed");
      },
      clock: { now: () => 0 },
    });
    sink.add("q", PollerMetric.Batches, Number.NaN);
    sink.add("q", PollerMetric.Batches, 1);
    expect(() => sink.flush()).not.toThrow();
  });
});
