import type { Clock } from "../../clock.js";
import {
  METRICS_NAMESPACE,
  MetricDimension,
  type MetricsSink,
  metricUnits,
  type PollerMetric,
} from "../../metrics/ports.js";

/** EMF limits: values per metric array and metrics per directive (CloudWatch drops lines beyond them). */
const maxValuesPerMetric = 100;

export interface EmfMetricsSinkOptions {
  /** The `Stage` dimension of every metric. */
  stage: string;
  /** Writes one EMF line (a JSON document); on Lambda, stdout. Must not throw. */
  write: (line: string) => void;
  clock: Pick<Clock, "now">;
  /**
   * Samples are written at least this often, even if `flush()` is not called: a long invocation's
   * metrics arrive while it runs, not only at its end (default 60 s, CloudWatch's resolution).
   */
  flushEveryMs?: number;
  namespace?: string;
}

/**
 * A {@link MetricsSink} writing CloudWatch embedded metric format (EMF) lines: Lambda's log
 * pipeline (and the local Lambda service) turns them into metrics with no `PutMetricData` call.
 * Samples are kept per queue and metric and written as one line per queue, values as arrays
 * (at most 100 per line), on `flush()` and whenever `add` finds the window elapsed.
 *
 * @example
 * const metrics = createEmfMetricsSink({ stage: "prod", write: (l) => process.stdout.write(`${l}\n`), clock: systemClock });
 * metrics.add("invoices", PollerMetric.MessagesSucceeded, 10);
 * metrics.flush(); // {"_aws":{...},"Stage":"prod","Queue":"invoices","MessagesSucceeded":[10]}
 */
export function createEmfMetricsSink(options: EmfMetricsSinkOptions): MetricsSink {
  const namespace = options.namespace ?? METRICS_NAMESPACE;
  const flushEveryMs = options.flushEveryMs ?? 60_000;
  /** queue → metric → samples since the last flush. */
  let pending = new Map<string, Map<PollerMetric, number[]>>();
  let windowStartedAt = options.clock.now();

  const lineOf = (queueName: string, metrics: Map<PollerMetric, number[]>, timestamp: number): string => {
    const doc: Record<string, unknown> = {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [[MetricDimension.Stage, MetricDimension.Queue]],
            Metrics: [...metrics.keys()].map((name) => ({ Name: name, Unit: metricUnits[name] ?? "Count" })),
          },
        ],
      },
      [MetricDimension.Stage]: options.stage,
      [MetricDimension.Queue]: queueName,
    };
    for (const [name, values] of metrics) doc[name] = values;
    return JSON.stringify(doc);
  };

  const flush = () => {
    const now = options.clock.now();
    windowStartedAt = now;
    if (pending.size === 0) return;
    const written = pending;
    pending = new Map();
    for (const [queueName, metrics] of written) {
      // Arrays longer than EMF's limit are split over several lines of the same timestamp.
      while (metrics.size > 0) {
        const chunk = new Map<PollerMetric, number[]>();
        for (const [name, values] of metrics) {
          chunk.set(name, values.splice(0, maxValuesPerMetric));
          if (values.length === 0) metrics.delete(name);
        }
        try {
          options.write(lineOf(queueName, chunk, now));
        } catch {
          // Metrics never break the loop: a line that cannot be written is lost.
        }
      }
    }
  };

  return {
    add(queueName, metric, value) {
      if (!Number.isFinite(value)) return;
      let metrics = pending.get(queueName);
      if (!metrics) {
        metrics = new Map();
        pending.set(queueName, metrics);
      }
      const values = metrics.get(metric);
      if (values) values.push(value);
      else metrics.set(metric, [value]);
      if (options.clock.now() - windowStartedAt >= flushEveryMs) flush();
    },
    flush,
  };
}
