import { describe, expect, it } from "vitest";
import { type DepthScaleInState, desiredDepthLoops } from "./depthScaling.js";

const route = { minLoops: 1, maxLoops: 8, targetPerLoop: 100, scaleInCooldownSec: 30 };

describe("desiredDepthLoops", () => {
  it("scales out at once to ceil(visible / targetPerLoop)", () => {
    const d = desiredDepthLoops({ ...route, visible: 250, current: 1, now: 0 });
    expect(d.desired).toBe(3);
  });

  it("never goes above maxLoops nor below max(1, minLoops)", () => {
    expect(desiredDepthLoops({ ...route, visible: 1_000_000, current: 1, now: 0 }).desired).toBe(8);
    expect(desiredDepthLoops({ ...route, minLoops: 0, visible: 0, current: 1, now: 0 }).desired).toBe(1);
    expect(desiredDepthLoops({ ...route, minLoops: 3, visible: 0, current: 1, now: 0 }).desired).toBe(3);
  });

  it("corrects a count above maxLoops at once, without waiting for the cooldown", () => {
    expect(desiredDepthLoops({ ...route, visible: 10_000, current: 12, now: 0 }).desired).toBe(8);
  });

  it("scales in only after the cooldown, measured from when fewer loops were first wanted", () => {
    let state: DepthScaleInState | undefined;
    let d = desiredDepthLoops({ ...route, visible: 0, current: 5, now: 1_000, state });
    expect(d.desired).toBe(5);
    state = d.state;
    d = desiredDepthLoops({ ...route, visible: 0, current: 5, now: 20_000, state });
    expect(d.desired).toBe(5);
    state = d.state;
    d = desiredDepthLoops({ ...route, visible: 0, current: 5, now: 31_000, state });
    expect(d.desired).toBe(1);
    expect(d.state).toEqual({});
  });

  it("scales in no lower than the highest count wanted during the cooldown", () => {
    let d = desiredDepthLoops({ ...route, visible: 0, current: 6, now: 0 });
    d = desiredDepthLoops({ ...route, visible: 300, current: 6, now: 10_000, state: d.state }); // wants ceil(300/80)=4
    d = desiredDepthLoops({ ...route, visible: 0, current: 6, now: 30_000, state: d.state });
    expect(d.desired).toBe(4);
  });

  it("restarts the cooldown when the depth comes back up", () => {
    let d = desiredDepthLoops({ ...route, visible: 0, current: 3, now: 0 });
    d = desiredDepthLoops({ ...route, visible: 300, current: 3, now: 20_000, state: d.state });
    expect(d.state).toEqual({});
    d = desiredDepthLoops({ ...route, visible: 0, current: 3, now: 40_000, state: d.state });
    expect(d.desired).toBe(3);
    d = desiredDepthLoops({ ...route, visible: 0, current: 3, now: 69_000, state: d.state });
    expect(d.desired).toBe(3);
    d = desiredDepthLoops({ ...route, visible: 0, current: 3, now: 70_000, state: d.state });
    expect(d.desired).toBe(1);
  });

  it("does not flap when the depth hovers around a threshold", () => {
    // Depth alternating 195/205 around the 2→3 loop threshold (targetPerLoop 100), for ten cooldowns.
    let current = 1;
    let state: DepthScaleInState | undefined;
    const counts: number[] = [];
    for (let t = 0; t <= 300_000; t += 1_000) {
      const visible = (t / 1_000) % 2 === 0 ? 195 : 205;
      const d = desiredDepthLoops({ ...route, visible, current, now: t, state });
      current = d.desired;
      state = d.state;
      counts.push(current);
    }
    const changes = counts.filter((c, i) => i > 0 && c !== counts[i - 1]).length;
    expect(counts.at(-1)).toBe(3);
    // One step up to 2... then 3, and never back down while the depth stays near 200.
    expect(changes).toBeLessThanOrEqual(2);
    expect(Math.min(...counts.slice(5))).toBe(3);
  });

  it("keeps the count when the depth fits it", () => {
    const d = desiredDepthLoops({ ...route, visible: 150, current: 2, now: 0 });
    expect(d).toEqual({ desired: 2, state: {} });
  });
});
