import type { SQSClient } from "@aws-sdk/client-sqs";
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  METRICS_NAMESPACE,
  MetricDimension,
  type MetricQuery,
  type MetricReader,
  PollerMetric,
  ratePerSecond,
} from "@sqs-dispatcher/core";
import { readQueueDepth } from "@sqs-dispatcher/core/aws";

/** A queue on the board. */
export interface BoardQueue {
  name: string;
  url: string;
  dlqUrl?: string;
}

/** One reading of one queue. */
export interface QueueReading {
  name: string;
  visible: number;
  inFlight: number;
  dlq: number | null;
  loops: number;
  /** Total records the example handlers reported as succeeded (their per-queue counter). */
  processed: number;
  at: number;
}

/** What the board reads from; the tables are the deployment's `tokens` and `processed`. */
export interface StatusSources {
  sqs: SQSClient;
  doc: DynamoDBDocumentClient;
  tokensTable: string;
  processedTable: string;
}

/** Reads one queue: depth from SQS, loops from its tokens, processed from the handlers' counter item. */
export async function readQueue(
  sources: StatusSources,
  queue: BoardQueue,
  now: number,
): Promise<QueueReading> {
  const [depth, dlq, tokens, stats] = await Promise.all([
    readQueueDepth(sources.sqs, queue.url),
    queue.dlqUrl ? readQueueDepth(sources.sqs, queue.dlqUrl) : Promise.resolve(null),
    sources.doc.send(
      new QueryCommand({
        TableName: sources.tokensTable,
        KeyConditionExpression: "queueUrl = :url",
        ExpressionAttributeValues: { ":url": queue.url },
        Select: "COUNT",
      }),
    ),
    sources.doc.send(
      // The example handlers keep a per-queue counter item (handlers/deliveryRecorder.ts, `#stats#<queue>`).
      new GetCommand({ TableName: sources.processedTable, Key: { messageId: `#stats#${queue.name}` } }),
    ),
  ]);
  return {
    name: queue.name,
    visible: depth.visible,
    inFlight: depth.inFlight,
    dlq: dlq ? dlq.visible + dlq.inFlight : null,
    loops: tokens.Count ?? 0,
    processed: Number(stats.Item?.succeeded ?? 0),
    at: now,
  };
}

/** Messages per second of one queue over the board's sliding window, from the poller's metrics. */
export interface QueueRates {
  processed: number;
  failed: number;
}

/** How far back the rates look: long enough that a counter moving in steps does not read 0. */
export const RATE_WINDOW_MS = 20_000;

/**
 * Processed/s and failed/s of each queue: `MessagesSucceeded` and `MessagesFailed` of the stage
 * summed over the last {@link RATE_WINDOW_MS} (1 s periods, so the window slides by the second),
 * read with GetMetricData as the console reads them.
 */
export async function readRates(
  metrics: MetricReader,
  stage: string,
  queueNames: readonly string[],
  now: number,
): Promise<Map<string, QueueRates>> {
  const query = (i: number, queue: string, metric: PollerMetric): MetricQuery => ({
    id: `${metric === PollerMetric.MessagesSucceeded ? "ok" : "failed"}_${i}`,
    namespace: METRICS_NAMESPACE,
    metricName: metric,
    dimensions: [
      { name: MetricDimension.Stage, value: stage },
      { name: MetricDimension.Queue, value: queue },
    ],
    stat: "Sum",
    periodSec: 1,
  });
  const queries = queueNames.flatMap((q, i) => [
    query(i, q, PollerMetric.MessagesSucceeded),
    query(i, q, PollerMetric.MessagesFailed),
  ]);
  const series = await metrics.read(queries, now - RATE_WINDOW_MS, now);
  return new Map(
    queueNames.map((q, i) => [
      q,
      {
        processed: ratePerSecond(series.get(`ok_${i}`), now, RATE_WINDOW_MS),
        failed: ratePerSecond(series.get(`failed_${i}`), now, RATE_WINDOW_MS),
      },
    ]),
  );
}

/** One fixed-width line per queue, under a header. */
export function renderBoard(
  readings: readonly QueueReading[],
  rates: ReadonlyMap<string, QueueRates>,
): string[] {
  const width = Math.max(5, ...readings.map((r) => r.name.length));
  const cell = (value: string | number, w = 9) => String(value).padStart(w);
  const rate = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(value < 10 ? 1 : 0));
  const header = `${"queue".padEnd(width)} ${cell("visible")} ${cell("inflight")} ${cell("dlq")} ${cell("loops", 6)} ${cell("proc/s")} ${cell("fail/s")} ${cell("processed", 10)}`;
  return [
    header,
    ...readings.map(
      (r) =>
        `${r.name.padEnd(width)} ${cell(r.visible)} ${cell(r.inFlight)} ${cell(r.dlq ?? "-")} ${cell(r.loops, 6)} ${cell(rate(rates.get(r.name)?.processed))} ${cell(rate(rates.get(r.name)?.failed))} ${cell(r.processed, 10)}`,
    ),
  ];
}

/** Options of {@link startStatusBoard}. */
export interface StatusBoardOptions extends StatusSources {
  queues: BoardQueue[];
  /** Where the rates come from (GetMetricData against the local cloud). */
  metrics: MetricReader;
  /** The `Stage` dimension of the poller's metrics. */
  stage: string;
  out: NodeJS.WriteStream | { write(chunk: string): unknown; isTTY?: boolean };
  /** Refresh period (default 1 s). */
  intervalMs?: number;
  /** Without a TTY, print every this many refreshes (default 5) instead of redrawing. */
  plainEvery?: number;
}

/**
 * The live status of `pnpm dev`: one line per queue (visible, in flight, DLQ, loops, processed/s and
 * failed/s over a sliding window of the poller's metrics, and the handlers' processed counter),
 * redrawn in place every second on a TTY, printed as plain periodic lines otherwise (logs, CI).
 */
export function startStatusBoard(options: StatusBoardOptions): { stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 1_000;
  const tty = options.out.isTTY === true;
  const plainEvery = options.plainEvery ?? 5;
  let drawn = 0;
  let ticks = 0;
  let stopped = false;
  let busy = false;
  let running: Promise<void> = Promise.resolve();

  const tick = async () => {
    const now = Date.now();
    const [readings, rates] = await Promise.all([
      Promise.all(options.queues.map((q) => readQueue(options, q, now))),
      readRates(
        options.metrics,
        options.stage,
        options.queues.map((q) => q.name),
        now,
      ).catch(() => new Map<string, QueueRates>()),
    ]);
    if (stopped) return;
    const lines = renderBoard(readings, rates);
    ticks++;
    if (tty) {
      // Move up over the previous drawing and clear each line, so the board stays in place.
      const up = drawn > 0 ? `\x1b[${drawn}A` : "";
      options.out.write(`${up}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
      drawn = lines.length;
    } else if (ticks % plainEvery === 1 || plainEvery === 1) {
      options.out.write(`${new Date(now).toISOString()}\n${lines.join("\n")}\n`);
    }
  };

  const timer = setInterval(() => {
    // One reading at a time: a slow reading skips a beat rather than piling up.
    if (busy || stopped) return;
    busy = true;
    running = tick()
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, intervalMs);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
