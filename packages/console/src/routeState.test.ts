import { RouteState } from "@sqs-dispatcher/core";
import { describe, expect, it } from "vitest";
import { blockedReasonsOf } from "./routeState.js";

const loop = (blockedReason: string | null = null) => ({
  token: "t",
  loopId: "l",
  lastUsed: 1,
  heartbeatAgeMs: 0,
  startedAt: 1,
  blockedReason,
});

describe("blockedReasonsOf", () => {
  it("lists each distinct reason of a blocked route's loops", () => {
    expect(
      blockedReasonsOf({
        state: RouteState.Blocked,
        loops: [loop(), loop("function not found"), loop("function not found"), loop("access denied")],
      }),
    ).toEqual(["function not found", "access denied"]);
  });

  it("is empty for a route that is not blocked", () => {
    expect(blockedReasonsOf({ state: RouteState.Paused, loops: [loop("function not found")] })).toEqual([]);
    expect(blockedReasonsOf({ state: RouteState.Active, loops: [loop()] })).toEqual([]);
  });
});
