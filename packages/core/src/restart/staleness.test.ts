import { describe, expect, it } from "vitest";
import { hasHeartbeatSinceStart } from "../lease/heartbeatSinceStart.js";
import type { TokenRecord } from "../lease/token.js";
import { isStale, staleSince } from "./staleness.js";

const settings = { staleAfterMs: 60_000, startGraceMs: 20_000 };
const base = { queueUrl: "q", token: "t", loopId: "L", createdAt: 0 };
const token = (fields: Partial<TokenRecord>): TokenRecord => ({ ...base, ...fields });

describe("staleness", () => {
  it("judges a heartbeating loop by its last heartbeat and the stale threshold", () => {
    const t = token({ startedAt: 0, lastUsed: 1_000 });
    expect(hasHeartbeatSinceStart(t)).toBe(true);
    expect(isStale(t, 61_000, settings)).toBe(false);
    expect(isStale(t, 61_001, settings)).toBe(true);
  });

  it("judges a loop that never heartbeat by its start and the start grace", () => {
    const t = token({ createdAt: 5_000, startedAt: 5_000 });
    expect(staleSince(t, settings)).toBe(25_000);
    expect(isStale(t, 25_001, settings)).toBe(true);
  });

  it("judges a claimed token whose new loop has not heartbeat by the claim and the start grace, not the old heartbeat", () => {
    // Claimed at 100 s (startedAt) with the old loop's heartbeat from 10 s left in place.
    const claimed = token({ lastUsed: 10_000, startedAt: 100_000 });
    expect(hasHeartbeatSinceStart(claimed)).toBe(false);
    expect(isStale(claimed, 119_000, settings)).toBe(false);
    expect(isStale(claimed, 120_001, settings)).toBe(true);
    // Once the new loop heartbeats, the stale threshold applies again.
    const running = token({ lastUsed: 101_000, startedAt: 100_000 });
    expect(isStale(running, 121_000, settings)).toBe(false);
    expect(isStale(running, 161_001, settings)).toBe(true);
  });

  it("reads a token without startedAt (written before claims kept lastUsed) by its heartbeat", () => {
    expect(isStale(token({ lastUsed: 1_000 }), 30_000, settings)).toBe(false);
  });
});
