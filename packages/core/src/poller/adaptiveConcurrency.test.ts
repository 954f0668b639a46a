import { describe, expect, it } from "vitest";
import { createAdaptiveConcurrency } from "./adaptiveConcurrency.js";

describe("createAdaptiveConcurrency", () => {
  it("follows the route's concurrency until a throttle", () => {
    const c = createAdaptiveConcurrency();
    expect(c.limit(4)).toBe(4);
    expect(c.limit(6)).toBe(6);
  });

  it("halves on each throttle, never below one, and grows by one per clean batch back to the route's", () => {
    const c = createAdaptiveConcurrency();
    c.limit(8);
    c.throttled();
    expect(c.limit(8)).toBe(4);
    c.throttled();
    c.throttled();
    c.throttled();
    expect(c.limit(8)).toBe(1);
    for (const expected of [2, 3, 4, 5, 6, 7, 8, 8]) {
      c.clean();
      expect(c.limit(8)).toBe(expected);
    }
  });

  it("never exceeds a route concurrency lowered while backing off", () => {
    const c = createAdaptiveConcurrency();
    c.limit(10);
    c.throttled();
    expect(c.limit(3)).toBe(3);
  });
});
