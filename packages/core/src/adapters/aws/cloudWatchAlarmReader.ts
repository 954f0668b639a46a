import { type CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { type AlarmReader, AlarmState, type QueueAlarm } from "../../status/ports.js";

const states = new Set<string>(Object.values(AlarmState));

/**
 * The {@link AlarmReader} port over CloudWatch. `DescribeAlarms` cannot filter by dimension, so this
 * pages through the metric alarms (narrowed by `alarmNamePrefix` when the stack names them with one)
 * and keeps those with a `QueueName` dimension.
 */
export function createCloudWatchAlarmReader(options: {
  cloudwatch: CloudWatchClient;
  alarmNamePrefix?: string;
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
