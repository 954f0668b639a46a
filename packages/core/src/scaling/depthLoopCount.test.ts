import { routeSchema } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../logger.js";
import { createDepthLoopCount } from "./depthLoopCount.js";

const depthRoute = routeSchema.parse({
  queueName: "orders",
  queueUrl: "http://127.0.0.1:4566/000000000000/orders",
  functionName: "record",
  minLoops: 1,
  maxLoops: 5,
  scaling: { mode: "depth", targetPerLoop: 100, scaleInCooldownSec: 10 },
});
const alarmRoute = { ...depthRoute, scaling: { mode: "alarm" as const } };

describe("createDepthLoopCount", () => {
  it("follows the depth for depth-mode routes, scaling in after the cooldown", async () => {
    let visible = 420;
    let now = 0;
    const desired = createDepthLoopCount({
      depth: { visibleMessages: async () => visible },
      clock: { now: () => now },
      logger: silentLogger,
    });
    expect(await desired(depthRoute, 1)).toBe(5);
    visible = 0;
    now = 1_000;
    expect(await desired(depthRoute, 5)).toBe(5);
    now = 11_000;
    expect(await desired(depthRoute, 5)).toBe(1);
  });

  it("leaves alarm-mode routes to the fallback and never reads their depth", async () => {
    const desired = createDepthLoopCount({
      depth: {
        visibleMessages: async () => {
          throw new Error("must not be called");
        },
      },
      clock: { now: () => 0 },
      logger: silentLogger,
    });
    expect(await desired(alarmRoute, 3)).toBe(3);
    expect(await desired(alarmRoute, 9)).toBe(5);
  });

  it("gives an alarm-mode route with minLoops 0 that sleeps one loop while its queue holds messages, and none while empty", async () => {
    let visible = 0;
    const reads: string[] = [];
    const desired = createDepthLoopCount({
      depth: {
        visibleMessages: async (url) => {
          reads.push(url);
          return visible;
        },
      },
      clock: { now: () => 0 },
      logger: silentLogger,
    });
    const idle = { ...alarmRoute, minLoops: 0, idle: "sleep" as const };
    expect(await desired(idle, 0)).toBe(0);
    visible = 3;
    expect(await desired(idle, 0)).toBe(1);
    // With a loop, or paused, the depth is not read: the fallback's count stands.
    expect(await desired(idle, 2)).toBe(2);
    expect(await desired({ ...idle, paused: true }, 0)).toBe(0);
    expect(reads).toHaveLength(2);
  });

  it("gives a shared-quiet route no loop for its depth (its shared loop polls it), and depth mode counts the shared loop", async () => {
    let visible = 3;
    const desired = createDepthLoopCount({
      depth: { visibleMessages: async () => visible },
      clock: { now: () => 0 },
      logger: silentLogger,
    });
    expect(await desired({ ...alarmRoute, minLoops: 0, idle: "shared" }, 0)).toBe(0);
    const depthRoute = {
      ...alarmRoute,
      minLoops: 0,
      maxLoops: 5,
      idle: "shared" as const,
      scaling: { mode: "depth" as const, targetPerLoop: 100, scaleInCooldownSec: 0 },
    };
    // 3 messages: one loop (the shared one) is enough.
    expect(await desired(depthRoute, 0)).toBe(0);
    visible = 350;
    expect(await desired(depthRoute, 0)).toBe(3);
    visible = 10_000;
    expect(await desired(depthRoute, 3)).toBe(5);
    visible = 0;
    expect(await desired(depthRoute, 5)).toBe(0);
  });

  it("keeps the count when the depth cannot be read", async () => {
    const desired = createDepthLoopCount({
      depth: {
        visibleMessages: async () => {
          throw new Error("throttled");
        },
      },
      clock: { now: () => 0 },
      logger: silentLogger,
    });
    expect(await desired(depthRoute, 3)).toBe(3);
  });
});
