import { AlarmMetric, type AlarmTier } from "./schema.js";

/** The `AWS/SQS` metric an alarm tier watches, by its `metric`. */
export const alarmTierMetricNames = {
  [AlarmMetric.Depth]: "ApproximateNumberOfMessagesVisible",
  [AlarmMetric.Age]: "ApproximateAgeOfOldestMessage",
} as const satisfies Record<AlarmMetric, string>;

/**
 * The CloudWatch metric name of a tier's alarm (the SST stack and the local deploy both use it).
 *
 * @example tierMetricName({ metric: "age", threshold: 300, periodSec: 60, evaluationPeriods: 1 }) // "ApproximateAgeOfOldestMessage"
 */
export function tierMetricName(tier: Pick<AlarmTier, "metric">): string {
  return alarmTierMetricNames[tier.metric ?? AlarmMetric.Depth];
}

/** The alarm description of tier `n` of a queue, in the tier's unit. */
export function tierDescription(
  queueName: string,
  n: number,
  tier: Pick<AlarmTier, "metric" | "threshold">,
): string {
  const what =
    (tier.metric ?? AlarmMetric.Depth) === AlarmMetric.Age
      ? `the oldest message waited ${tier.threshold} s`
      : `${tier.threshold} visible messages`;
  return `Tier ${n} of queue ${queueName}: scale up at ${what}`;
}
