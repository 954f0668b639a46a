import { routeSchema } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../logger.js";
import { createDepthLoopCount } from "./depthLoopCount.js";
import { desiredDepthLoops } from "./depthScaling.js";

const base = {
  minLoops: 1,
  maxLoops: 4,
  targetPerLoop: 100,
  scaleInCooldownSec: 10,
  maxAgeSec: 60,
};

describe("depth mode with maxAgeSec", () => {
  it("adds one loop per decision while the oldest message is older than maxAgeSec, whatever the depth", () => {
    let current = 1;
    for (const expected of [2, 3, 4, 4]) {
      current = desiredDepthLoops({ ...base, visible: 3, ageOfOldestSec: 61, current, now: 0 }).desired;
      expect(current).toBe(expected);
    }
  });

  it("takes the depth's count when that is higher, and never scales in while messages are old", () => {
    expect(
      desiredDepthLoops({ ...base, visible: 350, ageOfOldestSec: 500, current: 1, now: 0 }).desired,
    ).toBe(4);
    const held = desiredDepthLoops({ ...base, visible: 0, ageOfOldestSec: 61, current: 4, now: 0 });
    expect(held).toEqual({ desired: 4, state: {} });
  });

  it("scales in after the cooldown once the age is back under maxAgeSec", () => {
    let d = desiredDepthLoops({ ...base, visible: 0, ageOfOldestSec: 60, current: 3, now: 0 });
    expect(d.desired).toBe(3);
    d = desiredDepthLoops({
      ...base,
      visible: 0,
      ageOfOldestSec: 0,
      current: 3,
      now: 10_000,
      state: d.state,
    });
    expect(d.desired).toBe(1);
  });

  it("ignores the age without maxAgeSec, and maxAgeSec without an age", () => {
    const { maxAgeSec: _omit, ...noMax } = base;
    expect(
      desiredDepthLoops({ ...noMax, visible: 0, ageOfOldestSec: 9_999, current: 1, now: 0 }).desired,
    ).toBe(1);
    expect(desiredDepthLoops({ ...base, visible: 0, current: 1, now: 0 }).desired).toBe(1);
  });
});

describe("createDepthLoopCount with maxAgeSec", () => {
  const route = routeSchema.parse({
    queueName: "orders",
    queueUrl: "http://127.0.0.1:4566/000000000000/orders",
    functionName: "record",
    minLoops: 1,
    maxLoops: 3,
    scaling: { mode: "depth", targetPerLoop: 100, scaleInCooldownSec: 0, maxAgeSec: 30 },
  });

  it("reads the age only for routes with maxAgeSec, and lets depth decide when it cannot", async () => {
    let age: number | Error = 45;
    let reads = 0;
    const desired = createDepthLoopCount({
      depth: {
        visibleMessages: async () => 1,
        ageOfOldestSec: async () => {
          reads++;
          if (age instanceof Error) throw age;
          return age;
        },
      },
      clock: { now: () => 0 },
      logger: silentLogger,
    });
    expect(await desired(route, 1)).toBe(2);
    expect(await desired(route, 2)).toBe(3);
    age = new Error("throttled");
    expect(await desired(route, 3)).toBe(1);
    const { maxAgeSec: _omit, ...scaling } = route.scaling as typeof route.scaling & { maxAgeSec?: number };
    await desired({ ...route, scaling }, 1);
    expect(reads).toBe(3);
  });
});
