import { describe, expect, it } from "vitest";
import { demoBody } from "./demoTraffic.js";

describe("demoBody", () => {
  it("asks to fail, to sleep, or nothing, by the configured shares", () => {
    expect(JSON.parse(demoBody(1, () => 0.001, 0.01, 0.1))).toEqual({ n: 1, fail: true });
    const slow = JSON.parse(demoBody(2, () => 0.05, 0.01, 0.1));
    expect(slow.sleepMs).toBeGreaterThanOrEqual(100);
    expect(slow.sleepMs).toBeLessThan(1_000);
    const plain = JSON.parse(demoBody(3, () => 0.5, 0.01, 0.1));
    expect(plain).not.toHaveProperty("fail");
    expect(plain).not.toHaveProperty("sleepMs");
  });
});
