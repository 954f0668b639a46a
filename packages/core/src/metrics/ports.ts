/** The CloudWatch namespace of the poller's metrics. */
export const METRICS_NAMESPACE = "SqsDispatcher";

/** The two dimensions of every poller metric, in the order the EMF directive lists them. */
export const MetricDimension = { Stage: "Stage", Queue: "Queue" } as const;
export type MetricDimension = (typeof MetricDimension)[keyof typeof MetricDimension];

/**
 * The per-route metrics the poller records (namespace `SqsDispatcher`, dimensions `Stage`
 * and `Queue`). Names are CloudWatch metric names; every metric is a count except the ones
 * {@link metricUnits} says otherwise. No token or loopId dimension: cardinality stays one
 * series per route and metric.
 */
export const PollerMetric = {
  MessagesReceived: "MessagesReceived",
  MessagesSucceeded: "MessagesSucceeded",
  MessagesFailed: "MessagesFailed",
  Batches: "Batches",
  /** Milliseconds from invoke to the handler's answer, one sample per invoke. */
  HandlerDuration: "HandlerDuration",
  /** Invokes refused with a throttle (429, EC2/ENI throttles): the handler did not run. */
  HandlerThrottles: "HandlerThrottles",
  /** Invokes that did not run the handler for another reason (not found, denied, too large, KMS). */
  HandlerNotRun: "HandlerNotRun",
  LeaseLosses: "LeaseLosses",
  Recursions: "Recursions",
  /** Batches in the handler at once, sampled when a batch starts. */
  BatchesInFlight: "BatchesInFlight",
  /** Messages that matched a route filter. */
  MessagesMatched: "MessagesMatched",
  /** Messages that matched no filter and were forwarded to another queue. */
  MessagesForwarded: "MessagesForwarded",
  /** Messages that matched no filter and were deleted (`onNoMatch: "delete"`). */
  MessagesDropped: "MessagesDropped",
} as const;
export type PollerMetric = (typeof PollerMetric)[keyof typeof PollerMetric];

/** CloudWatch units of the metrics that are not plain counts. */
export const metricUnits: Partial<Record<PollerMetric, "Milliseconds">> = {
  [PollerMetric.HandlerDuration]: "Milliseconds",
};

/**
 * Where the poller's metrics go. On Lambda: embedded metric format lines on stdout (CloudWatch
 * and the local Lambda service turn them into metrics); in unit tests: memory.
 */
export interface MetricsSink {
  /** Adds one sample of `metric` for the route of `queueName`. Never throws, never blocks. */
  add(queueName: string, metric: PollerMetric, value: number): void;
  /** Writes what was added since the last flush; called at least at the end of each invocation. */
  flush(): void;
}

/** A sink that keeps nothing (the default where no metrics are wanted). */
export const discardMetrics: MetricsSink = { add() {}, flush() {} };
