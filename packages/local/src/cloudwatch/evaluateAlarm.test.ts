import { describe, expect, it } from "vitest";
import { aggregate, type Datapoint, evaluateAlarm } from "./evaluateAlarm.js";

const rule = {
  StateValue: "OK" as const,
  EvaluationPeriods: 3,
  DatapointsToAlarm: 2,
  Threshold: 10,
  ComparisonOperator: "GreaterThanOrEqualToThreshold" as const,
  TreatMissingData: "missing" as const,
  Period: 60,
  Statistic: "Average" as const,
};
const dps = (...values: (number | undefined)[]): Datapoint[] =>
  values.map((value, i) => ({ timestamp: i * 60_000, value }));

describe("evaluateAlarm", () => {
  it("alarms when M of the last N datapoints breach", () => {
    expect(evaluateAlarm(rule, dps(12, 3, 15))?.state).toBe("ALARM");
    expect(evaluateAlarm(rule, dps(12, 3, 5))?.state).toBe("OK");
    // Only the last N count.
    expect(evaluateAlarm(rule, dps(20, 20, 1, 1, 1))?.state).toBe("OK");
  });

  it("says why, in CloudWatch's words", () => {
    expect(evaluateAlarm({ ...rule, EvaluationPeriods: 1, DatapointsToAlarm: 1 }, dps(12))?.reason).toMatch(
      /^Threshold Crossed: 1 out of the last 1 datapoints \[12\.0 \(01\/01\/70 00:00:00\)\] was greater than or equal to the threshold \(10\.0\)/,
    );
  });

  it("treats missing data as the alarm says", () => {
    expect(evaluateAlarm(rule, dps(undefined, undefined, undefined))?.state).toBe("INSUFFICIENT_DATA");
    expect(
      evaluateAlarm({ ...rule, TreatMissingData: "ignore" }, dps(undefined, undefined, undefined)),
    ).toBeUndefined();
    expect(
      evaluateAlarm({ ...rule, TreatMissingData: "breaching" }, dps(undefined, 1, undefined))?.state,
    ).toBe("ALARM");
    expect(
      evaluateAlarm({ ...rule, TreatMissingData: "notBreaching" }, dps(undefined, 12, undefined))?.state,
    ).toBe("OK");
    expect(evaluateAlarm(rule, dps(undefined, 12, 12))?.state).toBe("ALARM");
  });

  it("counts periods not yet evaluated as missing", () => {
    expect(evaluateAlarm({ ...rule, TreatMissingData: "breaching" }, dps(12))?.state).toBe("ALARM");
    expect(evaluateAlarm(rule, dps(12))?.state).toBe("OK");
  });

  it.each([
    ["LessThanThreshold", 9, "ALARM"],
    ["LessThanThreshold", 10, "OK"],
    ["LessThanOrEqualToThreshold", 10, "ALARM"],
    ["GreaterThanThreshold", 10, "OK"],
    ["GreaterThanThreshold", 11, "ALARM"],
  ] as const)("%s %d → %s", (op, value, state) => {
    const single = { ...rule, EvaluationPeriods: 1, DatapointsToAlarm: 1, ComparisonOperator: op };
    expect(evaluateAlarm(single, dps(value))?.state).toBe(state);
  });
});

describe("aggregate", () => {
  it("applies the statistic to a period's samples", () => {
    expect(aggregate([1, 2, 6], "Average")).toBe(3);
    expect(aggregate([1, 2, 6], "Sum")).toBe(9);
    expect(aggregate([1, 2, 6], "Minimum")).toBe(1);
    expect(aggregate([1, 2, 6], "Maximum")).toBe(6);
    expect(aggregate([1, 2, 6], "SampleCount")).toBe(3);
    expect(aggregate([], "Average")).toBeUndefined();
  });
});
