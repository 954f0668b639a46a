import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import type { MetricQuery, MetricReader, MetricSeries } from "../../metrics/metricReader.js";

/** GetMetricData takes at most 500 queries per call. */
const maxQueriesPerCall = 500;

/** The {@link MetricReader} port over CloudWatch `GetMetricData` (paginated, oldest first). */
export function createCloudWatchMetricReader(options: { cloudwatch: CloudWatchClient }): MetricReader {
  return {
    async read(queries, fromMs, toMs) {
      const out = new Map<string, MetricSeries>();
      for (let i = 0; i < queries.length; i += maxQueriesPerCall) {
        const chunk = queries.slice(i, i + maxQueriesPerCall);
        let nextToken: string | undefined;
        do {
          const page = await options.cloudwatch.send(
            new GetMetricDataCommand({
              StartTime: new Date(fromMs),
              EndTime: new Date(toMs),
              ScanBy: "TimestampAscending",
              MetricDataQueries: chunk.map(toQuery),
              NextToken: nextToken,
            }),
          );
          for (const result of page.MetricDataResults ?? []) {
            if (!result.Id) continue;
            const series = out.get(result.Id) ?? { timestamps: [], values: [] };
            (result.Timestamps ?? []).forEach((t, j) => {
              series.timestamps.push(t.getTime());
              series.values.push(result.Values?.[j] ?? 0);
            });
            out.set(result.Id, series);
          }
          nextToken = page.NextToken;
        } while (nextToken);
      }
      for (const series of out.values()) sortSeries(series);
      return out;
    },
  };
}

function toQuery(query: MetricQuery): MetricDataQuery {
  return {
    Id: query.id,
    MetricStat: {
      Metric: {
        Namespace: query.namespace,
        MetricName: query.metricName,
        Dimensions: query.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
      },
      Period: query.periodSec,
      Stat: query.stat,
    },
    ReturnData: true,
  };
}

function sortSeries(series: MetricSeries): void {
  const order = series.timestamps
    .map((_, i) => i)
    .sort((a, b) => (series.timestamps[a] ?? 0) - (series.timestamps[b] ?? 0));
  series.timestamps = order.map((i) => series.timestamps[i] ?? 0);
  series.values = order.map((i) => series.values[i] ?? 0);
}
