import { loadavg } from "node:os";
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import {
  defaultSharedQueuesPerLoop,
  defineDispatcher,
  PlatformLimits,
  type Registry,
} from "@sqs-dispatcher/config";
import { systemClock } from "@sqs-dispatcher/core";
import { deployLocal, startLocalCloud } from "@sqs-dispatcher/local";
import { benchFunctions, defaultRouteConcurrency, type TokenRow } from "./support/benchPlatform.js";
import { type AtRestHour, priceQuietQueueMonth, type QuietQueueMonth } from "./support/quietQueuePrice.js";
import { quantile } from "./support/stats.js";

/** The sizes `pnpm bench --only idle` runs when `--idle-sizes` does not say. */
export const defaultIdleSizes: readonly number[] = [10, 50, 200];

/** How long one first message may take before it counts as not handled. */
const firstMessageDeadlineMs = 20_000;

export interface FirstMessage {
  queue: string;
  /** Send → handler start; undefined when it was not handled within the deadline. */
  ms?: number;
}

export interface IdleSizeResult {
  routes: number;
  /** Shared groups restart made (expected ⌈routes / sharedQueuesPerLoop⌉). */
  groups: number;
  sharedQueuesPerLoop: number;
  windowSec: number;
  /** The `AWS/Lambda` `ConcurrentExecutions` of the poller over the window, read with GetMetricData. */
  running: { p50: number; max: number; average: number };
  pollerMemoryMb: number;
  /** Per hour, from the window: what the poller and restart billed and what they asked of the edge. */
  perHour: {
    /**
     * The poller's billed GB-s: the average of `ConcurrentExecutions` over the window × memory, i.e.
     * the seconds every running invocation spent in the window, which is what their `Duration` bills.
     */
    pollerGbSeconds: number;
    /**
     * `Duration` × memory of the poller invocations that ended in the window (`invocations` of them):
     * at the default 900-s timeout most windows see none, so this is a cross-check, not the bill.
     */
    pollerEnded: { invocations: number; gbSeconds: number };
    restartGbSeconds: number;
    pollerInvocations: number;
    restartInvocations: number;
    sqsRequests: number;
    dynamoWrites: number;
    dynamoReads: number;
    /** Route reads (SSM `GetParameter`): free at standard throughput, but SSM serves 40 a second per account. */
    ssmReads: number;
    /** The requests the poller and restart made in the window, per `service:operation`, per hour. */
    requests: { poller: Record<string, number>; restart: Record<string, number> };
  };
  perQueueMonth: QuietQueueMonth;
  /** First messages, one queue at a time, after the handler was warmed by one more (`cold`). */
  firstMessages: FirstMessage[];
  cold: FirstMessage;
  /** Median and worst of the handled first messages; how many were not handled in time. */
  firstMessage: { handled: number; notHandled: number; medianMs: number; maxMs: number };
  /** The 1-minute load average when the window started and when the size ended. */
  load: { atWindow: number; atEnd: number };
}

export interface IdleResult {
  pollerTimeoutSec: number;
  sizes: IdleSizeResult[];
}

export interface IdleOptions {
  sizes: readonly number[];
  /** The counting window, seconds (rounded up to whole minutes from 60 s up). */
  windowSec: number;
  /** First messages per size (at most routes − 1: one queue warms the handler). */
  samples: number;
  /** `poller.sharedQueuesPerLoop`, when not the default. */
  sharedQueuesPerLoop?: number;
  log: (line: string) => void;
}

/**
 * `routes` quiet routes (`minLoops: 0`, `idle` and every platform setting left at their defaults,
 * `sharedQueuesPerLoop` too unless given).
 */
export function idleRegistry(routes: number, sharedQueuesPerLoop?: number): Registry {
  return defineDispatcher({
    app: "idle",
    functions: benchFunctions,
    ...(sharedQueuesPerLoop !== undefined ? { poller: { sharedQueuesPerLoop } } : {}),
    // Room for every route's one dedicated loop should it get busy (none runs at rest).
    limits: {
      maxLoopsTotal: Math.max(PlatformLimits.defaultMaxLoopsTotal, routes * defaultRouteConcurrency),
    },
    routes: Array.from({ length: routes }, (_, i) => ({
      queue: { name: queueName(i), visibilityTimeoutSec: 30 },
      function: "stamp",
      minLoops: 0,
    })),
  });
}

function queueName(i: number): string {
  return `quiet-${String(i).padStart(3, "0")}`;
}

/** The queues whose first message is measured: spread evenly over every group but the warm-up queue. */
export function sampledQueues(routes: number, samples: number): number[] {
  const candidates = routes - 1;
  const n = Math.min(samples, candidates);
  return Array.from({ length: n }, (_, i) => Math.floor((i * candidates) / n));
}

const writeOperations = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);
const readOperations = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/** Per-period values of one `AWS/Lambda` metric of one function over `[start, end)`. */
async function lambdaMetric(
  cloudwatch: CloudWatchClient,
  functionName: string,
  metric: string,
  stat: string,
  window: { start: number; end: number; periodSec: number },
): Promise<number[]> {
  const query: MetricDataQuery = {
    Id: "m",
    MetricStat: {
      Metric: {
        Namespace: "AWS/Lambda",
        MetricName: metric,
        Dimensions: [{ Name: "FunctionName", Value: functionName }],
      },
      Period: window.periodSec,
      Stat: stat,
    },
  };
  const out = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(window.start),
      EndTime: new Date(window.end),
      MetricDataQueries: [query],
    }),
  );
  return out.MetricDataResults?.[0]?.Values ?? [];
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const mean = (values: readonly number[]) => (values.length === 0 ? 0 : sum(values) / values.length);

async function measureSize(routes: number, options: IdleOptions): Promise<IdleSizeResult> {
  const cloud = await startLocalCloud({ port: 0 });
  try {
    const registry = idleRegistry(routes, options.sharedQueuesPerLoop);
    const sharedQueuesPerLoop = registry.poller.sharedQueuesPerLoop;
    const expectedGroups = Math.ceil(routes / sharedQueuesPerLoop);
    const t0 = systemClock.now();
    const deployment = await deployLocal(cloud, registry, { allowOvercommit: true });
    const { doc, sqs, cloudwatch } = deployment.clients;
    try {
      options.log(`  ${routes} quiet routes deployed in ${((systemClock.now() - t0) / 1000).toFixed(1)} s`);
      // Restart's first run (at deploy) assigns the groups and starts their loops.
      const groups = await waitForGroups(deployment, routes, expectedGroups, cloud.lambda.stats);
      options.log(
        `  ${groups} shared loop(s) running after ${((systemClock.now() - t0) / 1000).toFixed(1)} s`,
      );
      // Count whole CloudWatch periods: a minute from 60 s up, else the window itself.
      const periodSec = options.windowSec >= 60 ? 60 : options.windowSec;
      const windowSec = Math.ceil(options.windowSec / periodSec) * periodSec;
      const periodMs = periodSec * 1000;
      // Let every loop through its first heartbeat and first receives, then start on a period boundary.
      const start = Math.ceil((systemClock.now() + 5_000) / periodMs) * periodMs;
      await systemClock.sleep(start - systemClock.now());
      const atWindow = loadavg()[0] ?? 0;
      const before = {
        poller: cloud.requests.snapshot("poller"),
        restart: cloud.requests.snapshot("restart"),
      };
      const end = start + windowSec * 1000;
      options.log(`  counting for ${windowSec} s ...`);
      await systemClock.sleep(end - systemClock.now());
      // The platform's own calls only: the local cloud's machinery (its SQS metrics sampling, SNS
      // delivery) calls with the operator's key and is what AWS does for free.
      const polled = diff(cloud.requests.snapshot("poller"), before.poller);
      const restarted = diff(cloud.requests.snapshot("restart"), before.restart);
      const counted: Record<string, number> = { ...polled };
      for (const [k, v] of Object.entries(restarted)) counted[k] = (counted[k] ?? 0) + v;
      const elapsedSec = (systemClock.now() - start) / 1000;
      const window = { start, end, periodSec };
      const [p50s, maxima, averages, pollerMs, pollerEnded, pollerCalls, restartMs, restartCalls] =
        await Promise.all([
          lambdaMetric(cloudwatch, "poller", "ConcurrentExecutions", "p50", window),
          lambdaMetric(cloudwatch, "poller", "ConcurrentExecutions", "Maximum", window),
          lambdaMetric(cloudwatch, "poller", "ConcurrentExecutions", "Average", window),
          lambdaMetric(cloudwatch, "poller", "Duration", "Sum", window),
          lambdaMetric(cloudwatch, "poller", "Duration", "SampleCount", window),
          lambdaMetric(cloudwatch, "poller", "Invocations", "Sum", window),
          lambdaMetric(cloudwatch, "restart", "Duration", "Sum", window),
          lambdaMetric(cloudwatch, "restart", "Invocations", "Sum", window),
        ]);
      const pollerMemoryMb = registry.poller.memoryMb;
      const pollerGb = pollerMemoryMb / 1024;
      const restartMemoryGb = (cloud.lambda.list().find((f) => f.name === "restart")?.memoryMb ?? 256) / 1024;
      const hourly = 3600 / windowSec;
      const of = (prefix: string, ops?: Set<string>) =>
        sum(
          Object.entries(counted)
            .filter(([k]) => k.startsWith(`${prefix}:`) && (!ops || ops.has(k.slice(prefix.length + 1))))
            .map(([, v]) => v),
        ) * hourly;
      const hour: AtRestHour = {
        routes,
        pollerGbSeconds: mean(averages) * pollerGb * 3600,
        restartGbSeconds: (sum(restartMs) / 1000) * restartMemoryGb * hourly,
        lambdaInvocations: (sum(pollerCalls) + sum(restartCalls)) * hourly,
        sqsRequests: of("sqs"),
        dynamoWrites: of("dynamodb", writeOperations),
        dynamoReads: of("dynamodb", readOperations),
      };
      const perHourOf = (counts: Record<string, number>) =>
        Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v * hourly]));
      options.log(
        `  window done (${elapsedSec.toFixed(0)} s): poller p50 ${quantile(p50s, 0.5)} running; first messages ...`,
      );

      // The handler's first invocation is a cold start: warm it on one queue, then measure the others.
      const firstMessage = async (i: number): Promise<FirstMessage> => {
        const queue = queueName(i);
        const url = deployment.queues.find((q) => q.name === queue)?.url;
        if (!url) throw new Error(`no queue ${queue}`);
        const sentAt = systemClock.now();
        const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "{}" }));
        const deadline = sentAt + firstMessageDeadlineMs;
        while (systemClock.now() < deadline) {
          const { Item } = await doc.send(
            new GetCommand({ TableName: deployment.tables.processed, Key: { messageId: MessageId } }),
          );
          if (Item) return { queue, ms: (Item.startedAt as number) - sentAt };
          await systemClock.sleep(25);
        }
        return { queue };
      };
      const cold = await firstMessage(routes - 1);
      const firstMessages: FirstMessage[] = [];
      for (const i of sampledQueues(routes, options.samples)) firstMessages.push(await firstMessage(i));
      const handled = firstMessages.flatMap((m) => (m.ms === undefined ? [] : [m.ms]));
      const result: IdleSizeResult = {
        routes,
        groups,
        sharedQueuesPerLoop,
        windowSec,
        running: {
          p50: quantile(p50s, 0.5),
          max: maxima.length > 0 ? Math.max(...maxima) : 0,
          average: mean(averages),
        },
        pollerMemoryMb,
        perHour: {
          pollerGbSeconds: hour.pollerGbSeconds,
          pollerEnded: {
            invocations: sum(pollerEnded) * hourly,
            gbSeconds: (sum(pollerMs) / 1000) * pollerGb * hourly,
          },
          restartGbSeconds: hour.restartGbSeconds,
          pollerInvocations: sum(pollerCalls) * hourly,
          restartInvocations: sum(restartCalls) * hourly,
          sqsRequests: hour.sqsRequests,
          dynamoWrites: hour.dynamoWrites,
          dynamoReads: hour.dynamoReads,
          ssmReads: of("ssm"),
          requests: { poller: perHourOf(polled), restart: perHourOf(restarted) },
        },
        perQueueMonth: priceQuietQueueMonth(hour),
        firstMessages,
        cold,
        firstMessage: {
          handled: handled.length,
          notHandled: firstMessages.length - handled.length,
          medianMs: quantile(handled, 0.5),
          maxMs: handled.length > 0 ? Math.max(...handled) : Number.NaN,
        },
        load: { atWindow, atEnd: loadavg()[0] ?? 0 },
      };
      await deployment.stopLoops();
      return result;
    } finally {
      await deployment.stop();
    }
  } finally {
    await cloud.stop();
  }
}

/** Waits until every route has its member row and every group's loop runs; the groups made. */
async function waitForGroups(
  deployment: Awaited<ReturnType<typeof deployLocal>>,
  routes: number,
  expectedGroups: number,
  stats: (name: string) => { busy: number },
): Promise<number> {
  const deadline = systemClock.now() + 120_000;
  let groups = new Set<string>();
  let missing = routes;
  while (systemClock.now() < deadline) {
    groups = new Set();
    missing = 0;
    for (const q of deployment.queues.filter((x) => x.name.startsWith("quiet-"))) {
      const { Item } = await deployment.clients.doc.send(
        new GetCommand({
          TableName: deployment.tables.tokens,
          Key: { queueUrl: q.url, token: "shared" },
          ConsistentRead: true,
        }),
      );
      const row = Item as (TokenRow & { group?: string }) | undefined;
      if (row?.group) groups.add(row.group);
      else missing++;
    }
    if (missing === 0 && stats("poller").busy >= groups.size) return groups.size;
    await systemClock.sleep(1_000);
  }
  throw new Error(
    `after 120 s: ${missing} of ${routes} quiet routes without a group, ${groups.size} group(s) (expected ${expectedGroups}), ${stats("poller").busy} poller(s) running`,
  );
}

/**
 * Quiet routes at rest (docs/deploy.md, "A quiet queue"): for each size, `routes` routes with
 * `minLoops: 0` and default settings on a fresh local cloud; over a fixed window, the poller's
 * `AWS/Lambda` `ConcurrentExecutions` and `Duration` read with GetMetricData as on AWS, and every
 * request the edge served; then the first message on several quiet queues, one at a time.
 */
export async function benchIdle(options: IdleOptions): Promise<IdleResult> {
  const sizes: IdleSizeResult[] = [];
  for (const routes of options.sizes) {
    options.log(
      `size ${routes} quiet routes (sharedQueuesPerLoop ${options.sharedQueuesPerLoop ?? defaultSharedQueuesPerLoop}, window ${options.windowSec} s) ...`,
    );
    sizes.push(await measureSize(routes, options));
  }
  return { pollerTimeoutSec: idleRegistry(2).poller.timeoutSec, sizes };
}
