import { describe, expect, it } from "vitest";
import { awsResourceName, isStageTierAlarm, stageAlarmNamePrefix, tierAlarmName } from "./naming.js";

describe("tier alarm names", () => {
  it("names a tier as the stack does, and recognises exactly that name", () => {
    expect(tierAlarmName("shop", "dev", "orders", 2)).toBe("shop-dev-orders-depth-2");
    expect(tierAlarmName("shop", "dev", "orders", 2)).toBe(awsResourceName("shop", "dev", "orders-depth-2"));
    const dev = stageAlarmNamePrefix("shop", "dev");
    expect(isStageTierAlarm(dev, "orders", "shop-dev-orders-depth-2")).toBe(true);
  });

  it("refuses another stage's alarm that the prefix also matches", () => {
    const dev = stageAlarmNamePrefix("shop", "dev");
    const alice = tierAlarmName("shop", "dev-alice", "orders", 1);
    expect(alice.startsWith(dev)).toBe(true);
    expect(isStageTierAlarm(dev, "orders", alice)).toBe(false);
    expect(isStageTierAlarm(dev, "orders", "shop-dev-orders-depth-x")).toBe(false);
    expect(isStageTierAlarm(dev, "orders", "shop-dev-orders-latency")).toBe(false);
  });

  it("recognises a name cut to 64 characters, whose tier the hash replaced", () => {
    const queue = "q".repeat(60);
    const name = tierAlarmName("shop", "dev", queue, 7);
    expect(name).toHaveLength(64);
    expect(isStageTierAlarm(stageAlarmNamePrefix("shop", "dev"), queue, name)).toBe(true);
    expect(isStageTierAlarm(stageAlarmNamePrefix("shop", "prod"), queue, name)).toBe(false);
  });
});
