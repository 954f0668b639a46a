import type { MetricReader } from "@sqs-dispatcher/core";
import { describe, expect, it } from "vitest";
import { type QueueReading, RATE_WINDOW_MS, readRates, renderBoard } from "./statusBoard.js";

const reading = (over: Partial<QueueReading>): QueueReading => ({
  name: "orders",
  visible: 0,
  inFlight: 0,
  dlq: 0,
  loops: 1,
  processed: 0,
  at: 0,
  ...over,
});

describe("status board", () => {
  it("computes processed/s and failed/s over the sliding window from the metrics' per-second sums", async () => {
    const now = 100_000;
    const asked: { ids: string[]; from: number; to: number }[] = [];
    const metrics: MetricReader = {
      async read(queries, from, to) {
        asked.push({ ids: queries.map((q) => q.id), from, to });
        expect(queries[0]).toMatchObject({
          namespace: "SqsDispatcher",
          metricName: "MessagesSucceeded",
          stat: "Sum",
          periodSec: 1,
          dimensions: [
            { name: "Stage", value: "local" },
            { name: "Queue", value: "orders" },
          ],
        });
        return new Map([
          // 400 + 600 in the window, 5,000 just before it (not counted).
          [
            "ok_0",
            {
              timestamps: [now - RATE_WINDOW_MS - 1_000, now - 15_000, now - 1_000],
              values: [5_000, 400, 600],
            },
          ],
          ["failed_0", { timestamps: [now - 2_000], values: [20] }],
        ]);
      },
    };
    const rates = await readRates(metrics, "local", ["orders", "audit"], now);
    expect(asked).toEqual([
      { ids: ["ok_0", "failed_0", "ok_1", "failed_1"], from: now - RATE_WINDOW_MS, to: now },
    ]);
    expect(rates.get("orders")).toEqual({ processed: 1_000 / (RATE_WINDOW_MS / 1000), failed: 1 });
    expect(rates.get("audit")).toEqual({ processed: 0, failed: 0 });
  });

  it("renders a header and one aligned line per queue, '-' for a queue without DLQ or rates", () => {
    const lines = renderBoard(
      [
        reading({ visible: 1200, inFlight: 30, dlq: 2, loops: 3, processed: 500, at: 1_000 }),
        reading({ name: "payments.fifo", dlq: null, at: 1_000 }),
      ],
      new Map([["orders", { processed: 250, failed: 0.5 }]]),
    );
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^queue\s+visible\s+inflight\s+dlq\s+loops\s+proc\/s\s+fail\/s\s+processed$/);
    expect(lines[1]).toMatch(/^orders\s+1200\s+30\s+2\s+3\s+250\s+0\.5\s+500$/);
    expect(lines[2]).toMatch(/^payments\.fifo\s+0\s+0\s+-\s+1\s+-\s+-\s+0$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});
