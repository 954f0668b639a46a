import type { QueueStatus } from "@sqs-dispatcher/core";
import { describe, expect, it } from "vitest";
import { RouteState, routeStateOf } from "./routeState.js";

const loop = (blockedReason?: string) => ({
  token: "t",
  loopId: "l",
  lastUsed: 1,
  heartbeatAgeMs: 0,
  startedAt: 1,
  ...(blockedReason !== undefined ? { blockedReason } : {}),
});

function queue(route: { paused: boolean } | null, loops: ReturnType<typeof loop>[]): QueueStatus {
  return {
    name: "q",
    url: "u",
    route: route as QueueStatus["route"],
    loops,
    visible: 0,
    inFlight: 0,
    delayed: 0,
    dlq: null,
    alarms: [],
  };
}

describe("routeStateOf", () => {
  it("is blocked when any token has a blockedReason, before paused", () => {
    expect(
      routeStateOf(queue({ paused: true }, [loop(), loop("handler throttled"), loop("handler throttled")])),
    ).toEqual({
      state: RouteState.Blocked,
      blockedReasons: ["handler throttled"],
    });
  });

  it("is paused or active from the route otherwise, unrouted without one", () => {
    expect(routeStateOf(queue({ paused: true }, [loop()])).state).toBe(RouteState.Paused);
    expect(routeStateOf(queue({ paused: false }, [loop()])).state).toBe(RouteState.Active);
    expect(routeStateOf(queue(null, [])).state).toBe(RouteState.Unrouted);
  });
});
