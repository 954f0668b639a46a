import { describe, expect, it } from "vitest";
import { runPool } from "./workPool.js";

describe("runPool", () => {
  it("runs every item with at most `concurrency` in flight", async () => {
    let inFlight = 0;
    let max = 0;
    const seen: number[] = [];
    const result = await runPool({
      items: Array.from({ length: 20 }, (_, i) => i),
      concurrency: 3,
      expired: () => false,
      work: async (i) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(i);
        inFlight--;
      },
    });
    expect(result).toEqual({ done: 20, left: [] });
    expect(max).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("starts nothing once the time box is spent, and returns the rest in order; a failing item does not stop it", async () => {
    let started = 0;
    const result = await runPool({
      items: ["a", "b", "c", "d", "e"],
      concurrency: 2,
      expired: () => started >= 3,
      work: async (item) => {
        started++;
        if (item === "a") throw new Error("reported by work itself");
      },
    });
    expect(result.done).toBe(3);
    expect(result.left).toEqual(["d", "e"]);
  });

  it("starts no item the slowest item so far would carry past the deadline", async () => {
    let clock = 0;
    const deadline = 100;
    const started: number[] = [];
    const result = await runPool({
      items: [30, 10, 10, 10, 10, 10],
      concurrency: 1,
      now: () => clock,
      expired: (ahead) => clock + ahead >= deadline,
      work: async (ms) => {
        started.push(clock);
        clock += ms;
      },
    });
    // 30 + 10 + 10 + 10 = 60: a fifth item would start at 60 and, as slow as the first, end at 90;
    // one more at 70 could end at 100, the deadline, so it is left with the rest.
    expect(started).toEqual([0, 30, 40, 50, 60]);
    expect(result.left).toEqual([10]);
  });
});
