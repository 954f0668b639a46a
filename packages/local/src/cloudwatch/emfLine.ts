import type { MetricIdentity, MetricSample } from "./metricStore.js";

/** One metric datum an EMF line carries. */
export interface EmfDatum {
  identity: MetricIdentity;
  sample: MetricSample;
  unit: string | undefined;
}

interface EmfDirective {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

/**
 * Reads a line of function output as CloudWatch embedded metric format, as Lambda's log pipeline
 * does: a JSON object with `_aws.CloudWatchMetrics` directives whose metric and dimension values
 * are top-level members. Returns `undefined` for any other line (plain logs, malformed EMF are not
 * metrics; CloudWatch drops those too). Each dimension set of a directive makes its own series.
 */
export function parseEmfLine(line: string, now: number): EmfDatum[] | undefined {
  const text = line.trim();
  // Cheap test first: most output lines are not EMF.
  if (!text.startsWith("{") || !text.includes('"_aws"')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || !isRecord(doc["_aws"])) return undefined;
  const meta = doc["_aws"];
  const directives = meta["CloudWatchMetrics"];
  if (!Array.isArray(directives)) return undefined;
  const timestamp = typeof meta["Timestamp"] === "number" ? meta["Timestamp"] : now;
  const out: EmfDatum[] = [];
  for (const directive of directives as EmfDirective[]) {
    if (!isRecord(directive) || typeof directive.Namespace !== "string" || !Array.isArray(directive.Metrics))
      continue;
    const dimensionSets = Array.isArray(directive.Dimensions) ? directive.Dimensions : [[]];
    for (const set of dimensionSets) {
      if (!Array.isArray(set)) continue;
      const dimensions: { Name: string; Value: string }[] = [];
      let complete = true;
      for (const name of set) {
        const value = typeof name === "string" ? doc[name] : undefined;
        if (typeof name !== "string" || typeof value !== "string") complete = false;
        else dimensions.push({ Name: name, Value: value });
      }
      if (!complete) continue;
      for (const metric of directive.Metrics) {
        if (!isRecord(metric) || typeof metric["Name"] !== "string") continue;
        const name = metric["Name"];
        const raw = doc[name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter(
          (v): v is number => typeof v === "number" && Number.isFinite(v),
        );
        if (values.length === 0) continue;
        out.push({
          identity: { Namespace: directive.Namespace, MetricName: name, Dimensions: dimensions },
          sample: { timestamp, values },
          unit: typeof metric["Unit"] === "string" ? metric["Unit"] : undefined,
        });
      }
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
