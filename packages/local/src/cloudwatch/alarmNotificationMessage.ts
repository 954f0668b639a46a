import type { AlarmState } from "@sqs-dispatcher/core";
import { type MetricAlarm, regionLongName } from "./metricAlarm.js";

/** CloudWatch's notification timestamps: `2026-11-26T15:04:05.123+0000`. */
export function notificationTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("Z", "+0000");
}

/** The statistic as notifications spell it (`SampleCount` → `SAMPLE_COUNT`, `Average` → `AVERAGE`). */
function notificationStatistic(statistic: string): string {
  return statistic.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * The JSON CloudWatch publishes to an alarm's action topics on a state change
 * (the SNS `Message`), field for field as AWS sends it.
 */
export function alarmNotificationMessage(
  alarm: MetricAlarm,
  oldState: AlarmState,
  accountId: string,
  region: string,
): Record<string, unknown> {
  return {
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: accountId,
    AlarmConfigurationUpdatedTimestamp: notificationTime(alarm.AlarmConfigurationUpdatedTimestamp),
    NewStateValue: alarm.StateValue,
    NewStateReason: alarm.StateReason,
    StateChangeTime: notificationTime(alarm.StateTransitionedTimestamp),
    Region: regionLongName(region),
    AlarmArn: alarm.AlarmArn,
    OldStateValue: oldState,
    OKActions: alarm.OKActions,
    AlarmActions: alarm.AlarmActions,
    InsufficientDataActions: alarm.InsufficientDataActions,
    Trigger: {
      MetricName: alarm.MetricName,
      Namespace: alarm.Namespace,
      StatisticType: "Statistic",
      Statistic: notificationStatistic(alarm.Statistic),
      Unit: alarm.Unit ?? null,
      Dimensions: alarm.Dimensions.map((d) => ({ value: d.Value, name: d.Name })),
      Period: alarm.Period,
      EvaluationPeriods: alarm.EvaluationPeriods,
      DatapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods,
      ComparisonOperator: alarm.ComparisonOperator,
      Threshold: alarm.Threshold,
      TreatMissingData: alarm.TreatMissingData,
      EvaluateLowSampleCountPercentile: "",
    },
  };
}

/** The SNS Subject CloudWatch uses: `ALARM: "name" in US East (N. Virginia)`. */
export function alarmNotificationSubject(alarm: MetricAlarm, region: string): string {
  // SNS subjects are limited to 100 characters.
  return `${alarm.StateValue}: "${alarm.AlarmName}" in ${regionLongName(region)}`.slice(0, 100);
}
