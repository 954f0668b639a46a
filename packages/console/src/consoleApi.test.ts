import type { MetricQuery, MetricReader } from "@sqs-dispatcher/core";
import { describe, expect, it } from "vitest";
import { readMetrics } from "./consoleApi.js";
import type { ConsoleDeps } from "./consoleDeps.js";
import { LoopHistory } from "./loopHistory.js";

const now = 1_000_000;

function depsWith(metrics: MetricReader): ConsoleDeps {
  return {
    stage: "prod",
    target: "t",
    cliFlags: "--stage prod",
    periodSec: 60,
    metrics,
    status: { clock: { now: () => now } } as ConsoleDeps["status"],
  } as ConsoleDeps;
}

describe("readMetrics", () => {
  it("reads every queue's series in one call and turns per-period sums into rates per second", async () => {
    const asked: MetricQuery[][] = [];
    const reader: MetricReader = {
      async read(queries) {
        asked.push([...queries]);
        return new Map([
          ["succeeded_1", { timestamps: [now - 60_000], values: [600] }],
          ["visible_1", { timestamps: [now - 60_000], values: [42] }],
          ["p99_0", { timestamps: [now - 60_000], values: [250] }],
        ]);
      },
    };
    const history = new LoopHistory(60 * 60_000);
    history.record("b", now - 5_000, 3);
    history.record("b", now - 20 * 60_000, 9); // outside the 15 minutes
    const out = await readMetrics(
      depsWith(reader),
      history,
      [
        { name: "a", dlq: null },
        { name: "b", dlq: { name: "b-dlq" } },
      ],
      15,
    );
    expect(asked).toHaveLength(1);
    const ids = asked[0]?.map((q) => q.id) ?? [];
    expect(ids.filter((id) => id.endsWith("_0"))).not.toContain("dlq_0");
    expect(ids).toContain("dlq_1");
    expect(asked[0]?.find((q) => q.id === "dlq_1")?.dimensions).toEqual([
      { name: "QueueName", value: "b-dlq" },
    ]);
    expect(asked[0]?.find((q) => q.id === "succeeded_1")?.dimensions).toEqual([
      { name: "Stage", value: "prod" },
      { name: "Queue", value: "b" },
    ]);
    expect(out.from).toBe(now - 15 * 60_000);
    expect(out.queues["b"]?.["succeeded"]).toEqual({ t: [now - 60_000], v: [10] });
    expect(out.queues["b"]?.["visible"]).toEqual({ t: [now - 60_000], v: [42] });
    expect(out.queues["a"]?.["p99"]).toEqual({ t: [now - 60_000], v: [250] });
    expect(out.queues["b"]?.["loops"]).toEqual({ t: [now - 5_000], v: [3] });
  });
});
