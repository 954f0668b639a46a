import { describe, expect, it } from "vitest";
import { type QueueReading, ratePerSecond, renderBoard } from "./statusBoard.js";

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
  it("computes processed/s from the growth of the processed counter between two readings", () => {
    expect(
      ratePerSecond(reading({ processed: 100, at: 1_000 }), reading({ processed: 400, at: 3_000 })),
    ).toBe(150);
    expect(ratePerSecond(undefined, reading({ processed: 400, at: 3_000 }))).toBe(0);
  });

  it("renders a header and one aligned line per queue, '-' for a queue without DLQ", () => {
    const previous = new Map([["orders", reading({ processed: 0, at: 0 })]]);
    const lines = renderBoard(
      [
        reading({ visible: 1200, inFlight: 30, dlq: 2, loops: 3, processed: 500, at: 1_000 }),
        reading({ name: "payments.fifo", dlq: null, at: 1_000 }),
      ],
      previous,
    );
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^queue\s+visible\s+inflight\s+dlq\s+loops\s+proc\/s\s+processed$/);
    expect(lines[1]).toMatch(/^orders\s+1200\s+30\s+2\s+3\s+500\s+500$/);
    expect(lines[2]).toMatch(/^payments\.fifo\s+0\s+0\s+-\s+1\s+0\s+0$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});
