import { METRICS_NAMESPACE, MetricDimension, PollerMetric } from "@sqs-dispatcher/core";
import { Duration, type Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as sqs from "aws-cdk-lib/aws-sqs";

/** A routed queue as the dashboard needs it. */
export interface DashboardQueue {
  readonly name: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue?: sqs.IQueue;
}

const minute = Duration.minutes(1);
const widgetHeight = 6;

/** The CloudWatch console's address of a dashboard. */
export function dashboardUrl(region: string, dashboardName: string): string {
  return `https://console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${dashboardName}`;
}

/**
 * One CloudWatch dashboard per stage: a row per route with its depth and age of the oldest
 * message, DLQ depth, loop churn (recursions and lease losses a minute), messages received,
 * succeeded and failed, handler p50/p99, and handler throttles and not-run invokes. The poller's
 * metrics are the `SqsDispatcher` EMF metrics of this stage (`Stage`, `Queue` dimensions).
 */
export function createDispatcherDashboard(
  stack: Stack,
  options: { dashboardName: string; stage: string; queues: readonly DashboardQueue[] },
): cloudwatch.Dashboard {
  const own = (queue: string, metric: PollerMetric, statistic: string, label?: string) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: metric,
      dimensionsMap: { [MetricDimension.Stage]: options.stage, [MetricDimension.Queue]: queue },
      statistic,
      period: minute,
      ...(label ? { label } : {}),
    });
  const dashboard = new cloudwatch.Dashboard(stack, "Dashboard", {
    dashboardName: options.dashboardName,
    defaultInterval: Duration.hours(3),
  });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `# sqs-dispatcher · ${options.stage}\nOne row per route. Poller metrics: namespace \`${METRICS_NAMESPACE}\`, dimensions \`Stage\` and \`Queue\`.`,
      width: 24,
      height: 2,
    }),
  );
  for (const q of options.queues) {
    const depth = new cloudwatch.GraphWidget({
      title: `${q.name}: depth`,
      left: [
        q.queue.metricApproximateNumberOfMessagesVisible({
          period: minute,
          statistic: "Maximum",
          label: "visible",
        }),
        q.queue.metricApproximateNumberOfMessagesNotVisible({
          period: minute,
          statistic: "Maximum",
          label: "in flight",
        }),
        ...(q.deadLetterQueue
          ? [
              q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period: minute,
                statistic: "Maximum",
                label: "DLQ",
              }),
            ]
          : []),
      ],
      right: [
        q.queue.metricApproximateAgeOfOldestMessage({
          period: minute,
          statistic: "Maximum",
          label: "oldest (s)",
        }),
      ],
      width: 6,
      height: widgetHeight,
    });
    const messages = new cloudwatch.GraphWidget({
      title: `${q.name}: messages / min`,
      left: [
        own(q.name, PollerMetric.MessagesReceived, "Sum", "received"),
        own(q.name, PollerMetric.MessagesSucceeded, "Sum", "succeeded"),
        own(q.name, PollerMetric.MessagesFailed, "Sum", "failed"),
      ],
      width: 6,
      height: widgetHeight,
    });
    const latency = new cloudwatch.GraphWidget({
      title: `${q.name}: handler duration (ms)`,
      left: [
        own(q.name, PollerMetric.HandlerDuration, "p50", "p50"),
        own(q.name, PollerMetric.HandlerDuration, "p99", "p99"),
      ],
      width: 6,
      height: widgetHeight,
    });
    const loops = new cloudwatch.GraphWidget({
      title: `${q.name}: loops and throttles / min`,
      left: [
        own(q.name, PollerMetric.Recursions, "Sum", "recursions"),
        own(q.name, PollerMetric.LeaseLosses, "Sum", "lease losses"),
        own(q.name, PollerMetric.BatchesInFlight, "Maximum", "batches in flight (max)"),
      ],
      right: [
        own(q.name, PollerMetric.HandlerThrottles, "Sum", "throttled"),
        own(q.name, PollerMetric.HandlerNotRun, "Sum", "not run"),
      ],
      width: 6,
      height: widgetHeight,
    });
    dashboard.addWidgets(depth, messages, latency, loops);
  }
  return dashboard;
}
