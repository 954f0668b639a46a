import { type CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import type { AlarmDirectory } from "../../scaling/ports.js";

/**
 * The {@link AlarmDirectory} port over CloudWatch: `DescribeAlarms` for one exact name (which
 * IAM can grant on exactly the stage's alarm ARNs).
 */
export function createCloudWatchAlarmDirectory(cloudwatch: Pick<CloudWatchClient, "send">): AlarmDirectory {
  return {
    async describe(alarmName) {
      const out = await cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ["MetricAlarm"] }),
      );
      const alarm = (out.MetricAlarms ?? []).find((a) => a.AlarmName === alarmName);
      if (!alarm?.AlarmName || !alarm.AlarmArn) return undefined;
      const transitioned = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
      return {
        name: alarm.AlarmName,
        arn: alarm.AlarmArn,
        state: alarm.StateValue ?? "INSUFFICIENT_DATA",
        ...(alarm.Namespace !== undefined ? { namespace: alarm.Namespace } : {}),
        dimensions: (alarm.Dimensions ?? []).flatMap((d) =>
          d.Name !== undefined && d.Value !== undefined ? [{ name: d.Name, value: d.Value }] : [],
        ),
        ...(transitioned !== undefined ? { transitionedAt: transitioned.getTime() } : {}),
      };
    },
  };
}
