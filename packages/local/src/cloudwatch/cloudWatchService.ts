import type { IncomingMessage, ServerResponse } from "node:http";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { optionalEnv } from "@sqs-dispatcher/config";
import { type Logger, silentLogger } from "@sqs-dispatcher/core";
import type { LocalService } from "../edge/localService.js";
import { type AlarmEvaluator, createAlarmEvaluator } from "./alarmEvaluator.js";
import { AlarmStore } from "./alarmStore.js";
import {
  CloudWatchError,
  readWireRequest,
  WireProtocol,
  WireTimestamp,
  writeWireError,
  writeWireResponse,
} from "./cloudWatchWire.js";
import { parseEmfLine } from "./emfLine.js";
import { getMetricData, listMetrics } from "./metricQueries.js";
import { MetricStore } from "./metricStore.js";
import { putMetricData } from "./putMetricData.js";
import { createSqsMetricsSource, isSupportedSqsMetric, type QueueMetricsSource } from "./queueMetrics.js";

/** AWS/SQS metrics are published once a minute; locally time runs this many times faster by default. */
export const DEFAULT_ALARM_TIME_SCALE = 20;

/** Overrides the time scale of a local cloud started without an explicit one (e.g. `pnpm dev`). */
export const ALARM_TIME_SCALE_ENV = "DISPATCHER_ALARM_TIME_SCALE";

export interface CloudWatchServiceOptions {
  /** The edge's base URL; a function because the port is known only after listen. */
  endpoint: () => string;
  region: string;
  accountId: string;
  logger?: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /**
   * How much faster than AWS alarms run locally: one metric minute lasts `60 s / timeScale`
   * (default 20 → 3 s; `DISPATCHER_ALARM_TIME_SCALE` overrides the default), so an alarm with
   * `Period: 60, EvaluationPeriods: 2` decides in about 6 s. Floored at 250 ms per minute.
   */
  timeScale?: number;
  /** Replaces the SDK-backed metrics source (tests). */
  metrics?: QueueMetricsSource;
  now?: () => number;
}

/** The local CloudWatch alarms and metrics service (signing name `monitoring`) with its evaluator. */
export interface CloudWatchService extends LocalService {
  readonly alarms: AlarmStore;
  readonly evaluator: AlarmEvaluator;
  /** Length of one local metric minute, ms. */
  readonly metricIntervalMs: number;
  /** Every metric sample received: EMF output, `PutMetricData`, the `AWS/SQS` sampler. */
  readonly metricData: MetricStore;
  /**
   * Reads one line of a function's output; an embedded metric format line becomes metrics, as
   * Lambda's log pipeline makes them on AWS. Other lines are ignored.
   */
  ingestOutput(line: string): void;
}

/**
 * CloudWatch behind the edge: `PutMetricAlarm`, `DescribeAlarms`, `DeleteAlarms`, `SetAlarmState`,
 * `GetMetricData`, `ListMetrics` and `PutMetricData` in AWS JSON 1.0 (SDK v3) and Smithy RPC v2 CBOR
 * (AWS CLI), plus an evaluator that computes the `AWS/SQS` queue metrics of every queue once a local
 * minute and publishes alarm notifications to SNS. Functions' EMF output arrives via `ingestOutput`.
 *
 * @example
 * const cloudwatch = createCloudWatchService({ endpoint, region, accountId, logger });
 * // services = [..., cloudwatch]
 */
export function createCloudWatchService(options: CloudWatchServiceOptions): CloudWatchService {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const envScale = Number(optionalEnv(ALARM_TIME_SCALE_ENV));
  const timeScale =
    options.timeScale ?? (Number.isFinite(envScale) && envScale > 0 ? envScale : DEFAULT_ALARM_TIME_SCALE);
  const metricIntervalMs = Math.max(250, Math.round(60_000 / timeScale));
  const store = new AlarmStore({ region: options.region, accountId: options.accountId, now });
  const metricData = new MetricStore({ now });
  const metrics =
    options.metrics ?? createSqsMetricsSource({ endpoint: options.endpoint, region: options.region, now });

  let sns: SNSClient | undefined;
  const publish = async (topicArn: string, subject: string, message: string) => {
    sns ??= new SNSClient({
      endpoint: options.endpoint(),
      region: options.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
  };

  const evaluator = createAlarmEvaluator({
    store,
    metrics,
    publish,
    accountId: options.accountId,
    region: options.region,
    metricIntervalMs,
    now,
    logger,
    onSample(queueName, values, at) {
      for (const [metricName, value] of Object.entries(values)) {
        metricData.put(
          {
            Namespace: "AWS/SQS",
            MetricName: metricName,
            Dimensions: [{ Name: "QueueName", Value: queueName }],
          },
          { timestamp: at, values: [value] },
        );
      }
    },
  });
  evaluator.start();

  /**
   * `GetMetricStatistics` for the `AWS/SQS` metrics the evaluator computes, by `QueueName`: one
   * datapoint, the queue as it is now, under every statistic asked for (a one-sample period has
   * the same minimum, maximum and average). Other metrics have no data, as on AWS when nothing
   * publishes them. Depth mode's `maxAgeSec` reads the age of the oldest message this way.
   */
  const getMetricStatistics = async (input: Record<string, unknown>): Promise<unknown> => {
    const metricName = String(input["MetricName"] ?? "");
    const dimensions = (input["Dimensions"] ?? []) as { Name?: string; Value?: string }[];
    const queueName =
      dimensions.length === 1 && dimensions[0]?.Name === "QueueName" ? dimensions[0].Value : undefined;
    const statistics = ((input["Statistics"] ?? []) as string[]).filter((s) =>
      ["Average", "Maximum", "Minimum", "Sum", "SampleCount"].includes(s),
    );
    if (input["Namespace"] !== "AWS/SQS" || !isSupportedSqsMetric(metricName) || queueName === undefined) {
      return { Label: metricName, Datapoints: [] };
    }
    const sample = await metrics.sample(queueName, new Set([metricName]));
    const value = sample?.[metricName];
    if (value === undefined) return { Label: metricName, Datapoints: [] };
    const datapoint: Record<string, unknown> = {
      Timestamp: new WireTimestamp(now()),
      Unit: metricName === "ApproximateAgeOfOldestMessage" ? "Seconds" : "Count",
    };
    for (const statistic of statistics) datapoint[statistic] = statistic === "SampleCount" ? 1 : value;
    return { Label: metricName, Datapoints: [datapoint] };
  };

  const dispatch = async (
    operation: string | undefined,
    input: Record<string, unknown>,
  ): Promise<unknown> => {
    switch (operation) {
      case "PutMetricAlarm":
        store.putMetricAlarm(input);
        return {};
      case "DescribeAlarms":
        return store.describeAlarms(input);
      case "DeleteAlarms":
        store.deleteAlarms(input);
        return {};
      case "GetMetricStatistics":
        return getMetricStatistics(input);
      case "SetAlarmState": {
        const transition = store.setAlarmState(input);
        // Actions run before the call returns, so a caller sees their effect start promptly.
        if (transition) await evaluator.notify(transition);
        return {};
      }
      case "GetMetricData":
        return getMetricData(metricData, input);
      case "ListMetrics":
        return listMetrics(metricData, input, now());
      case "PutMetricData":
        putMetricData(metricData, input, now());
        return {};
      default:
        throw new CloudWatchError(
          "UnknownOperationException",
          `The local CloudWatch does not support ${operation ?? "this request"}; it serves PutMetricAlarm, DescribeAlarms, DeleteAlarms, SetAlarmState, GetMetricData, GetMetricStatistics (AWS/SQS), ListMetrics and PutMetricData.`,
        );
    }
  };

  return {
    signingNames: ["monitoring"],
    alarms: store,
    evaluator,
    metricIntervalMs,
    metricData,
    ingestOutput(line) {
      const data = parseEmfLine(line, now());
      if (!data) return;
      for (const datum of data) metricData.put(datum.identity, datum.sample);
    },
    async handle(req: IncomingMessage, res: ServerResponse) {
      let protocol: WireProtocol = WireProtocol.Json;
      try {
        const request = await readWireRequest(req);
        protocol = request.protocol;
        const output = await dispatch(request.operation, request.input);
        writeWireResponse(res, protocol, 200, output);
      } catch (error) {
        if (error instanceof CloudWatchError) {
          writeWireError(res, protocol, error);
          return;
        }
        logger.error("local CloudWatch failed", { error: String(error) });
        writeWireError(res, protocol, new CloudWatchError("InternalServiceFault", String(error), 500));
      }
    },
    async close() {
      await evaluator.stop();
      metrics.close();
      sns?.destroy();
    },
  };
}
