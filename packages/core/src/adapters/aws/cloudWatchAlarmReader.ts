import { type CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { isStageTierAlarm } from "@sqs-dispatcher/config";
import { type AlarmReader, AlarmState, type QueueAlarm } from "../../status/ports.js";

const states = new Set<string>(Object.values(AlarmState));

/**
 * The {@link AlarmReader} port over CloudWatch: one stage's tier alarms. `DescribeAlarms` cannot filter
 * by dimension, so this pages through the metric alarms whose names start with the stage's prefix
 * (`stageAlarmNamePrefix`) and keeps those with a `QueueName` dimension whose name is exactly that
 * stage's tier alarm name for the queue: the prefix `app-dev-` also matches stage `dev-alice`'s alarms.
 */
export function createCloudWatchAlarmReader(options: {
  cloudwatch: CloudWatchClient;
  /** The stage's name prefix, `<app>-<stage>-` (the stack's `ALARM_NAME_PREFIX`). */
  alarmNamePrefix: string;
}): AlarmReader {
  const { cloudwatch, alarmNamePrefix } = options;
  return {
    async queueAlarms(queueName) {
      const alarms: QueueAlarm[] = [];
      let nextToken: string | undefined;
      do {
        const out = await cloudwatch.send(
          new DescribeAlarmsCommand({
            AlarmNamePrefix: alarmNamePrefix,
            AlarmTypes: ["MetricAlarm"],
            MaxRecords: 100,
            NextToken: nextToken,
          }),
        );
        for (const alarm of out.MetricAlarms ?? []) {
          const dimension = alarm.Dimensions?.find((d) => d.Name === "QueueName")?.Value;
          if (dimension === undefined || (queueName !== undefined && dimension !== queueName)) continue;
          if (!isStageTierAlarm(alarmNamePrefix, dimension, alarm.AlarmName ?? "")) continue;
          const state = alarm.StateValue ?? AlarmState.InsufficientData;
          alarms.push({
            name: alarm.AlarmName ?? "",
            state: states.has(state) ? (state as AlarmState) : AlarmState.InsufficientData,
            queueName: dimension,
          });
        }
        nextToken = out.NextToken;
      } while (nextToken);
      return alarms;
    },
  };
}
