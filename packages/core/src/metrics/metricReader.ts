import { PollerMetric } from "./ports.js";

/** One series to read: CloudWatch's `MetricStat` in plain names. */
export interface MetricQuery {
  /** Unique in one read; CloudWatch wants a lowercase first letter. */
  id: string;
  namespace: string;
  metricName: string;
  dimensions: { name: string; value: string }[];
  /** `Sum`, `Average`, `Maximum`, `p50`, ... */
  stat: string;
  periodSec: number;
}

/** Datapoints of one series, oldest first; epoch ms. */
export interface MetricSeries {
  timestamps: number[];
  values: number[];
}

/** Reads metric series (GetMetricData on AWS and on the local cloud: one code path). */
export interface MetricReader {
  read(queries: readonly MetricQuery[], fromMs: number, toMs: number): Promise<Map<string, MetricSeries>>;
}

/** The series the console plots and the status board reads, per queue. */
export const QueueSeries = {
  Visible: "visible",
  InFlight: "inFlight",
  DeadLetters: "dlq",
  Succeeded: "succeeded",
  Failed: "failed",
  HandlerP50: "p50",
  HandlerP99: "p99",
} as const;
export type QueueSeries = (typeof QueueSeries)[keyof typeof QueueSeries];

/** The namespace of SQS's own metrics. */
export const SQS_NAMESPACE = "AWS/SQS";

/**
 * The queries of one queue's series, ids `<series>_<index>` (`index` tells queues apart in one
 * read): depth and DLQ depth from `AWS/SQS` (Maximum per period), messages and handler latency
 * from the poller's `SqsDispatcher` metrics of `stage` (Sum per period; p50/p99).
 */
export function queueSeriesQueries(
  queue: { index: number; queueName: string; dlqName?: string | undefined },
  stage: string,
  periodSec: number,
  namespace = "SqsDispatcher",
): MetricQuery[] {
  const sqs = (series: QueueSeries, metricName: string, queueName: string): MetricQuery => ({
    id: `${series}_${queue.index}`,
    namespace: SQS_NAMESPACE,
    metricName,
    dimensions: [{ name: "QueueName", value: queueName }],
    stat: "Maximum",
    periodSec,
  });
  const own = (series: QueueSeries, metricName: PollerMetric, stat: string): MetricQuery => ({
    id: `${series}_${queue.index}`,
    namespace,
    metricName,
    dimensions: [
      { name: "Stage", value: stage },
      { name: "Queue", value: queue.queueName },
    ],
    stat,
    periodSec,
  });
  return [
    sqs(QueueSeries.Visible, "ApproximateNumberOfMessagesVisible", queue.queueName),
    sqs(QueueSeries.InFlight, "ApproximateNumberOfMessagesNotVisible", queue.queueName),
    ...(queue.dlqName
      ? [sqs(QueueSeries.DeadLetters, "ApproximateNumberOfMessagesVisible", queue.dlqName)]
      : []),
    own(QueueSeries.Succeeded, PollerMetric.MessagesSucceeded, "Sum"),
    own(QueueSeries.Failed, PollerMetric.MessagesFailed, "Sum"),
    own(QueueSeries.HandlerP50, PollerMetric.HandlerDuration, "p50"),
    own(QueueSeries.HandlerP99, PollerMetric.HandlerDuration, "p99"),
  ];
}

/**
 * Messages per second over the last `windowMs`, from per-period sums: the sum of the datapoints
 * whose period lies in the window, divided by the window. A sliding window, so a rate does not
 * read 0 between two samples of a counter that moves in steps.
 */
export function ratePerSecond(series: MetricSeries | undefined, nowMs: number, windowMs: number): number {
  if (!series) return 0;
  let total = 0;
  series.timestamps.forEach((t, i) => {
    if (t >= nowMs - windowMs) total += series.values[i] ?? 0;
  });
  return total / (windowMs / 1000);
}
