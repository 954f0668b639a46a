import { describe, expect, it } from "vitest";
import { SoakKind } from "./soakMessages.js";
import { isLost, orderViolations } from "./soakVerdict.js";

const fate = (kind: SoakKind, deliveries: number, lastReceiveCount: number, inDlq = false) => ({
  kind,
  deliveries,
  lastReceiveCount,
  inDlq,
});

describe("isLost", () => {
  it("counts a poison message lost unless it is in its DLQ, even when recorded", () => {
    expect(isLost(fate(SoakKind.Poison, 3, 3))).toBe(true);
    expect(isLost(fate(SoakKind.Poison, 4, 4, true))).toBe(false);
  });

  it("counts a plain message lost only when neither recorded nor in its DLQ", () => {
    expect(isLost(fate(SoakKind.Plain, 0, 0))).toBe(true);
    expect(isLost(fate(SoakKind.Plain, 1, 1))).toBe(false);
    expect(isLost(fate(SoakKind.Plain, 0, 0, true))).toBe(false);
  });

  it("needs a message that misbehaves once to be recorded on a later delivery", () => {
    expect(isLost(fate(SoakKind.FailOnce, 1, 1))).toBe(true);
    expect(isLost(fate(SoakKind.CrashOnce, 2, 2))).toBe(false);
    expect(isLost(fate(SoakKind.SlowOnce, 0, 0, true))).toBe(false);
  });
});

describe("orderViolations", () => {
  it("accepts redeliveries as long as each message's last delivery keeps send order", () => {
    // #2 failed once (its group held back), a crash redelivered #0-#1, a delete failure repeated #3.
    expect(orderViolations([0, 1, 2, 2, 3, 3, 4])).toEqual([]);
    expect(orderViolations([0, 1, 2, 0, 1, 2, 3])).toEqual([]);
  });

  it("reports a message finished before one sent earlier in its group", () => {
    // Hold-back removed: #3 was processed and deleted while #2 waited for its retry.
    expect(orderViolations([0, 1, 2, 3, 2, 4])).toEqual(["#3 finished before #2"]);
    expect(orderViolations([1, 0])).toEqual(["#1 finished before #0"]);
  });
});
