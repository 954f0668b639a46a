import type { Dimension } from "./metricAlarm.js";

/** One metric series: a namespace, a name and a set of dimensions (order does not matter). */
export interface MetricIdentity {
  Namespace: string;
  MetricName: string;
  Dimensions: Dimension[];
}

/** Samples of a series received with one timestamp (one EMF line, one `PutMetricData` datum). */
export interface MetricSample {
  /** Epoch ms. */
  timestamp: number;
  values: number[];
}

export interface MetricStoreOptions {
  now: () => number;
  /** Samples older than this are dropped (default 3 h: the longest a console or alarm looks back here). */
  retentionMs?: number;
}

/** Filter of `ListMetrics`: a dimension without a value matches any value of that name. */
export interface MetricFilter {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value?: string }[];
}

/**
 * The local CloudWatch's metric data: what EMF lines, `PutMetricData` and the `AWS/SQS` sampler
 * publish, kept as raw samples so any statistic (percentiles included) can be computed at query
 * time. Bounded by a retention window, not by count.
 */
export class MetricStore {
  private readonly series = new Map<string, { identity: MetricIdentity; samples: MetricSample[] }>();
  private readonly retentionMs: number;

  constructor(private readonly options: MetricStoreOptions) {
    this.retentionMs = options.retentionMs ?? 3 * 60 * 60 * 1000;
  }

  /** Adds samples to a series, creating it on first use. */
  put(identity: MetricIdentity, sample: MetricSample): void {
    if (sample.values.length === 0) return;
    const key = seriesKey(identity);
    let entry = this.series.get(key);
    if (!entry) {
      entry = {
        identity: { ...identity, Dimensions: sortedDimensions(identity.Dimensions) },
        samples: [],
      };
      this.series.set(key, entry);
    }
    const samples = entry.samples;
    // Samples mostly arrive in order; a late one is inserted where it belongs.
    let i = samples.length;
    while (i > 0 && (samples[i - 1]?.timestamp ?? 0) > sample.timestamp) i -= 1;
    samples.splice(i, 0, sample);
    const cutoff = this.options.now() - this.retentionMs;
    let drop = 0;
    while (drop < samples.length && (samples[drop]?.timestamp ?? 0) < cutoff) drop += 1;
    if (drop > 0) samples.splice(0, drop);
  }

  /** The samples of one series with `from <= timestamp < to`, oldest first. */
  samples(identity: MetricIdentity, from: number, to: number): MetricSample[] {
    const entry = this.series.get(seriesKey(identity));
    if (!entry) return [];
    return entry.samples.filter((s) => s.timestamp >= from && s.timestamp < to);
  }

  /** The series matching a filter, in a stable order (namespace, name, dimensions). */
  list(filter: MetricFilter, activeSince?: number): MetricIdentity[] {
    const out: MetricIdentity[] = [];
    for (const [, { identity, samples }] of [...this.series].sort(([a], [b]) => a.localeCompare(b))) {
      if (filter.Namespace !== undefined && identity.Namespace !== filter.Namespace) continue;
      if (filter.MetricName !== undefined && identity.MetricName !== filter.MetricName) continue;
      const dims = filter.Dimensions ?? [];
      if (
        !dims.every((d) =>
          identity.Dimensions.some(
            (x) => x.Name === d.Name && (d.Value === undefined || x.Value === d.Value),
          ),
        )
      )
        continue;
      if (activeSince !== undefined && (samples.at(-1)?.timestamp ?? 0) < activeSince) continue;
      out.push(identity);
    }
    return out;
  }
}

function sortedDimensions(dimensions: readonly Dimension[]): Dimension[] {
  return [...dimensions].sort((a, b) => a.Name.localeCompare(b.Name));
}

function seriesKey(identity: MetricIdentity): string {
  return JSON.stringify([
    identity.Namespace,
    identity.MetricName,
    sortedDimensions(identity.Dimensions).map((d) => [d.Name, d.Value]),
  ]);
}
