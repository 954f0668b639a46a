import { AlarmState } from "@sqs-dispatcher/core";
import { ComparisonOperator, type MetricAlarm, Statistic, TreatMissingData } from "./metricAlarm.js";

/** One period's value of an alarm's metric; `value` undefined when the period had no data. */
export interface Datapoint {
  /** Epoch ms of the period's end. */
  timestamp: number;
  value: number | undefined;
}

/** Reduces the samples of one period with the alarm's statistic; undefined when there were none. */
export function aggregate(samples: readonly number[], statistic: Statistic): number | undefined {
  if (samples.length === 0) return undefined;
  switch (statistic) {
    case Statistic.SampleCount:
      return samples.length;
    case Statistic.Sum:
      return samples.reduce((a, b) => a + b, 0);
    case Statistic.Average:
      return samples.reduce((a, b) => a + b, 0) / samples.length;
    case Statistic.Minimum:
      return Math.min(...samples);
    case Statistic.Maximum:
      return Math.max(...samples);
  }
}

const operatorWords: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  GreaterThanThreshold: "greater than",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
};

export function isBreaching(value: number, operator: ComparisonOperator, threshold: number): boolean {
  switch (operator) {
    case ComparisonOperator.GreaterThanOrEqualToThreshold:
      return value >= threshold;
    case ComparisonOperator.GreaterThanThreshold:
      return value > threshold;
    case ComparisonOperator.LessThanThreshold:
      return value < threshold;
    case ComparisonOperator.LessThanOrEqualToThreshold:
      return value <= threshold;
  }
}

export interface Evaluation {
  state: AlarmState;
  reason: string;
  reasonData: string;
}

type AlarmRule = Pick<
  MetricAlarm,
  | "StateValue"
  | "EvaluationPeriods"
  | "DatapointsToAlarm"
  | "Threshold"
  | "ComparisonOperator"
  | "TreatMissingData"
  | "Period"
  | "Statistic"
>;

/**
 * The state an alarm's last `EvaluationPeriods` datapoints put it in ("M out of N":
 * ALARM when at least `DatapointsToAlarm` of them breach). Missing datapoints follow
 * `TreatMissingData`: `breaching`/`notBreaching` count them as such; `missing` and
 * `ignore` judge by the datapoints present, and when none is present `missing` means
 * INSUFFICIENT_DATA while `ignore` keeps the current state (undefined is returned).
 *
 * Simplification against AWS: with some datapoints missing AWS may look further back
 * than N periods; this evaluator only looks at the last N.
 */
export function evaluateAlarm(alarm: AlarmRule, window: readonly Datapoint[]): Evaluation | undefined {
  const n = alarm.EvaluationPeriods;
  const m = alarm.DatapointsToAlarm ?? n;
  const recent = window.slice(-n);
  const present = recent.filter((d): d is Datapoint & { value: number } => d.value !== undefined);
  const treat = alarm.TreatMissingData;
  const missingCount = n - present.length;

  let breaching = present.filter((d) =>
    isBreaching(d.value, alarm.ComparisonOperator, alarm.Threshold),
  ).length;
  if (treat === TreatMissingData.Breaching) breaching += missingCount;

  const describe = (d: Datapoint & { value: number }) =>
    `${d.value.toFixed(1)} (${formatShort(d.timestamp)})`;
  const listed = present.slice().reverse().map(describe).join(", ");
  const reasonData = JSON.stringify({
    version: "1.0",
    queryDate: new Date().toISOString(),
    statistic: alarm.Statistic,
    period: alarm.Period,
    recentDatapoints: present.map((d) => d.value),
    threshold: alarm.Threshold,
    evaluatedDatapoints: present.map((d) => ({
      timestamp: new Date(d.timestamp).toISOString(),
      value: d.value,
    })),
  });

  if (breaching >= m) {
    return {
      state: AlarmState.Alarm,
      reason: `Threshold Crossed: ${breaching} out of the last ${n} datapoints [${listed}] ${breaching === 1 ? "was" : "were"} ${operatorWords[alarm.ComparisonOperator]} the threshold (${alarm.Threshold.toFixed(1)}) (minimum ${m} datapoint${m === 1 ? "" : "s"} for OK -> ALARM transition).`,
      reasonData,
    };
  }
  if (present.length === 0 && (treat === TreatMissingData.Missing || treat === TreatMissingData.Ignore)) {
    if (treat === TreatMissingData.Ignore) return undefined;
    return {
      state: AlarmState.InsufficientData,
      reason: `Insufficient Data: ${n} datapoint${n === 1 ? " was" : "s were"} unknown.`,
      reasonData,
    };
  }
  const notBreaching = n - breaching;
  return {
    state: AlarmState.Ok,
    reason: `Threshold Crossed: ${notBreaching} out of the last ${n} datapoints [${listed}] ${notBreaching === 1 ? "was" : "were"} not ${operatorWords[alarm.ComparisonOperator]} the threshold (${alarm.Threshold.toFixed(1)}) (minimum ${n - m + 1} datapoint${n - m + 1 === 1 ? "" : "s"} for ALARM -> OK transition).`,
    reasonData,
  };
}

/** `dd/MM/yy HH:mm:ss` in UTC, as CloudWatch prints datapoint times in state reasons. */
function formatShort(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
