import { z } from "zod";
import { CloudWatchError } from "./cloudWatchWire.js";
import type { MetricStore } from "./metricStore.js";

const wireTime = z
  .union([z.number(), z.string(), z.object({ tag: z.literal(1), value: z.number() }).loose()])
  .transform((t) =>
    typeof t === "number" ? t * 1000 : typeof t === "string" ? Date.parse(t) : t.value * 1000,
  );

/** `PutMetricData`'s input: a value, or values with counts (a statistic set is not kept locally). */
const putMetricDataInput = z
  .object({
    Namespace: z
      .string()
      .min(1)
      .refine((n) => !n.startsWith("AWS/"), "namespaces starting with AWS/ are reserved"),
    MetricData: z
      .array(
        z
          .object({
            MetricName: z.string().min(1),
            Dimensions: z
              .array(z.object({ Name: z.string().min(1), Value: z.string() }).loose())
              .max(30)
              .optional(),
            Timestamp: wireTime.optional(),
            Value: z.number().optional(),
            Values: z.array(z.number()).optional(),
            Counts: z.array(z.number()).optional(),
            Unit: z.string().optional(),
          })
          .loose(),
      )
      .min(1)
      .max(1000),
  })
  .loose();

/** Stores what a `PutMetricData` call sends (each value repeated by its count). */
export function putMetricData(store: MetricStore, input: Record<string, unknown>, now: number): void {
  const parsed = putMetricDataInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CloudWatchError(
      "InvalidParameterValueException",
      `${issue?.path.join(".") || "input"}: ${issue?.message ?? "invalid"}`,
    );
  }
  for (const datum of parsed.data.MetricData) {
    const values: number[] = [];
    if (datum.Value !== undefined) values.push(datum.Value);
    (datum.Values ?? []).forEach((value, i) => {
      const count = Math.max(1, Math.round(datum.Counts?.[i] ?? 1));
      for (let n = 0; n < count; n++) values.push(value);
    });
    store.put(
      { Namespace: parsed.data.Namespace, MetricName: datum.MetricName, Dimensions: datum.Dimensions ?? [] },
      { timestamp: datum.Timestamp ?? now, values },
    );
  }
}
