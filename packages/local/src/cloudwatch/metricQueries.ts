import { z } from "zod";
import { CloudWatchError, WireTimestamp } from "./cloudWatchWire.js";
import type { MetricStore } from "./metricStore.js";

/**
 * A timestamp as either wire protocol sends it: epoch seconds (AWS JSON 1.0), CBOR tag 1 (Smithy
 * RPC v2, decoded as `{ tag: 1, value }`), or an ISO string.
 */
const wireTime = z
  .union([
    z.number(),
    z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not a timestamp"),
    z.object({ tag: z.literal(1), value: z.number() }).loose(),
  ])
  .transform((t) =>
    typeof t === "number" ? t * 1000 : typeof t === "string" ? Date.parse(t) : t.value * 1000,
  );

const dimension = z.object({ Name: z.string().min(1), Value: z.string() }).loose();

const metricStat = z
  .object({
    Metric: z
      .object({
        Namespace: z.string().min(1),
        MetricName: z.string().min(1),
        Dimensions: z.array(dimension).max(30).optional(),
      })
      .loose(),
    Period: z.number().int().positive(),
    Stat: z.string().min(1),
    Unit: z.string().optional(),
  })
  .loose();

/** `GetMetricData`'s input, the parts the local CloudWatch serves (no metric math). */
const getMetricDataInput = z
  .object({
    MetricDataQueries: z
      .array(
        z
          .object({
            Id: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/, "Id must start with a lowercase letter"),
            MetricStat: metricStat.optional(),
            Expression: z.string().optional(),
            Label: z.string().optional(),
            ReturnData: z.boolean().optional(),
          })
          .loose(),
      )
      .min(1)
      .max(500),
    StartTime: wireTime,
    EndTime: wireTime,
    ScanBy: z.enum(["TimestampDescending", "TimestampAscending"]).optional(),
    MaxDatapoints: z.number().int().positive().optional(),
    NextToken: z.string().optional(),
  })
  .loose();

const listMetricsInput = z
  .object({
    Namespace: z.string().optional(),
    MetricName: z.string().optional(),
    Dimensions: z.array(z.object({ Name: z.string(), Value: z.string().optional() }).loose()).optional(),
    RecentlyActive: z.literal("PT3H").optional(),
    NextToken: z.string().optional(),
  })
  .loose();

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CloudWatchError(
      "InvalidParameterValueException",
      `${issue?.path.join(".") || "input"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

const percentilePattern = /^p(\d{1,2}(?:\.\d+)?|100)$/;

/** Computes one of CloudWatch's statistics over a bucket's values; undefined if it is not supported. */
export function statistic(values: readonly number[], stat: string): number | undefined {
  if (values.length === 0) return undefined;
  switch (stat) {
    case "SampleCount":
      return values.length;
    case "Sum":
      return values.reduce((a, b) => a + b, 0);
    case "Average":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "Minimum":
      return Math.min(...values);
    case "Maximum":
      return Math.max(...values);
  }
  const p = percentilePattern.exec(stat);
  if (!p) return undefined;
  // Nearest rank, as CloudWatch's percentiles on raw samples are.
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((Number(p[1]) / 100) * sorted.length));
  return sorted[rank - 1];
}

/**
 * `GetMetricData` over the store: per query, the samples in `[StartTime, EndTime)` grouped into
 * period buckets aligned to the epoch (as CloudWatch aligns them), one value per bucket that has
 * data, newest first unless `TimestampAscending`. Metric math is refused, not faked.
 */
export function getMetricData(store: MetricStore, input: Record<string, unknown>): unknown {
  const request = parse(getMetricDataInput, input);
  if (request.EndTime <= request.StartTime) {
    throw new CloudWatchError(
      "InvalidParameterValueException",
      "The parameter StartTime must be before EndTime.",
    );
  }
  const results = request.MetricDataQueries.filter((q) => q.ReturnData !== false).map((query) => {
    if (!query.MetricStat) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        `Query ${query.Id}: the local CloudWatch serves MetricStat queries only, not metric math.`,
      );
    }
    const { Metric, Period, Stat } = query.MetricStat;
    if (statistic([0], Stat) === undefined) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        `Query ${query.Id}: unknown statistic ${Stat}.`,
      );
    }
    const periodMs = Period * 1000;
    const from = Math.floor(request.StartTime / periodMs) * periodMs;
    const buckets = new Map<number, number[]>();
    for (const sample of store.samples(
      { Namespace: Metric.Namespace, MetricName: Metric.MetricName, Dimensions: Metric.Dimensions ?? [] },
      from,
      request.EndTime,
    )) {
      const bucket = Math.floor(sample.timestamp / periodMs) * periodMs;
      const values = buckets.get(bucket);
      if (values) values.push(...sample.values);
      else buckets.set(bucket, [...sample.values]);
    }
    const points = [...buckets]
      .map(([at, values]) => [at, statistic(values, Stat) ?? 0] as const)
      .sort(([a], [b]) => (request.ScanBy === "TimestampAscending" ? a - b : b - a));
    return {
      Id: query.Id,
      Label: query.Label ?? Metric.MetricName,
      Timestamps: points.map(([at]) => new WireTimestamp(at)),
      Values: points.map(([, value]) => value),
      StatusCode: "Complete",
    };
  });
  return { MetricDataResults: results, Messages: [] };
}

/** Page size of `ListMetrics` (CloudWatch's is 500). */
const listPageSize = 500;

/** `ListMetrics` over the store, paged by an opaque offset token. */
export function listMetrics(store: MetricStore, input: Record<string, unknown>, now: number): unknown {
  const request = parse(listMetricsInput, input);
  const all = store.list(
    {
      ...(request.Namespace !== undefined ? { Namespace: request.Namespace } : {}),
      ...(request.MetricName !== undefined ? { MetricName: request.MetricName } : {}),
      ...(request.Dimensions !== undefined
        ? {
            Dimensions: request.Dimensions.map((d) => ({
              Name: d.Name,
              ...(d.Value !== undefined ? { Value: d.Value } : {}),
            })),
          }
        : {}),
    },
    request.RecentlyActive ? now - 3 * 60 * 60 * 1000 : undefined,
  );
  const offset = request.NextToken ? Number(Buffer.from(request.NextToken, "base64").toString("utf8")) : 0;
  if (!Number.isInteger(offset) || offset < 0) {
    throw new CloudWatchError("InvalidNextToken", "The NextToken is not valid.");
  }
  const page = all.slice(offset, offset + listPageSize);
  const next =
    offset + listPageSize < all.length
      ? Buffer.from(String(offset + listPageSize)).toString("base64")
      : undefined;
  return { Metrics: page, ...(next ? { NextToken: next } : {}) };
}
