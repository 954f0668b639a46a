import { loadavg } from "node:os";
import { DeleteFunctionConcurrencyCommand } from "@aws-sdk/client-lambda";
import { ReceiveMessageCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { defineDispatcher } from "@sqs-dispatcher/config";
import { systemClock } from "@sqs-dispatcher/core";
import { type BenchPlatform, depth, startBenchPlatform, tokensOf } from "./support/benchPlatform.js";

/** One sample of the queue while the bench runs. */
export interface ThrottleSample {
  atSec: number;
  phase: "throttled" | "lifted";
  visible: number;
  inFlight: number;
  handled: number;
  deadLettered: number;
  blocked: string[];
  /** The handler's invocations so far, as the local Lambda counts them. */
  handler: { invocations: number; errors: number; timeouts: number; throttles: number };
  load1: number;
}

/** What a long throttle did to a queue that dead-letters after a few receives, and what lifting it did. */
export interface ThrottleDlqResult {
  throttledSec: number;
  loops: number;
  batchesWanted: number;
  reservedConcurrency: number;
  maxReceiveCount: number;
  sent: number;
  /** At the end of the throttle. */
  atLift: { handled: number; deadLettered: number; left: number };
  /** Once the queue drained after the lift (or the drain deadline passed). */
  drainedSec: number | undefined;
  handled: number;
  /** Distinct messages the handler recorded at least once. */
  distinctHandled: number;
  deadLettered: number;
  /**
   * Dead-lettered messages the handler never recorded: those reached the DLQ without their
   * handler having run on them. The rest ran (and failed, or timed out) before they got there.
   */
  deadLetteredNeverRun: number;
  left: number;
  /** Handled messages by the receive count of their last handled delivery. */
  receiveCounts: Record<string, number>;
  /** Messages the handler ran more than once. */
  handledTwice: number;
  blockedReasonsSeen: string[];
  loadAverage: { start: number[]; atLift: number[]; end: number[] };
  samples: ThrottleSample[];
}

const loops = 6;
const routeConcurrency = 2;
const reserved = 2;
const maxReceiveCount = 3;
const sampleEveryMs = 30_000;

/**
 * A handler far narrower than the loops that feed it: reserved concurrency 2 against 6 loops × 2
 * batches each, for `throttledSec` (default 10 minutes), with a queue that dead-letters after 3
 * receives and 30 s poller invocations (about 20 per loop). Then the reserved concurrency is
 * removed (the throttle lifts) and the bench waits for the queue to drain, up to `drainSec`.
 * Every message that reaches the DLQ would have done so without its handler having run: the
 * figure to report is that count, with what the handler ran and the receive counts it saw.
 *
 * Run once: `pnpm tsx bench/throttleDlq.ts [seconds] [messages] [drainSec]`.
 */
export async function benchThrottleDlq(
  throttledSec = 600,
  sent = throttledSec * 25,
  drainSec = 600,
): Promise<ThrottleDlqResult> {
  const registry = defineDispatcher({
    app: "bench",
    functions: {
      narrow: {
        handler: "packages/functions/src/handlers/record.handler",
        timeoutSec: 5,
        memoryMb: 128,
        reservedConcurrency: reserved,
      },
    },
    routes: [
      {
        queue: { name: "narrow", visibilityTimeoutSec: 30, maxReceiveCount },
        function: "narrow",
        batchSize: 10,
        concurrency: routeConcurrency,
        minLoops: loops,
        maxLoops: loops,
      },
    ],
    local: {
      poller: { timeoutSec: 30, waitTimeSec: 3, marginSec: 2, renewEverySec: 5, routeCacheTtlSec: 1 },
      restart: { intervalSec: 3, staleAfterSec: 16, startGraceSec: 10 },
    },
  });
  const loadStart = loadavg();
  const platform = await startBenchPlatform(registry);
  try {
    const url = platform.url("narrow");
    const dlq = platform.deployment.queues.find((q) => q.name === "narrow")?.dlqUrl;
    if (!dlq) throw new Error("no DLQ for queue narrow");
    // Each record sleeps 50 ms: a batch of 10 holds a slot for half a second, so two slots drain
    // at most about 40 messages a second; with the local cloud's own overhead the backlog outlasts
    // the throttle window.
    await fillSleeping(platform, url, sent);
    const startedAt = systemClock.now();
    const seen = new Set<string>();
    const samples: ThrottleSample[] = [];
    const sample = async (phase: ThrottleSample["phase"]) => {
      const d = await depth(platform, url);
      const blocked = [
        ...new Set((await tokensOf(platform, "narrow")).flatMap((t) => t.blockedReason ?? [])),
      ];
      for (const reason of blocked) seen.add(reason);
      const s: ThrottleSample = {
        atSec: Math.round((systemClock.now() - startedAt) / 1000),
        phase,
        ...d,
        handled: await handledCount(platform),
        deadLettered: (await depth(platform, dlq)).visible,
        blocked,
        handler: handlerStats(platform),
        load1: Number(loadavg()[0]?.toFixed(2)),
      };
      samples.push(s);
      console.error(JSON.stringify(s));
      return s;
    };

    const until = startedAt + throttledSec * 1000;
    let nextSample = startedAt;
    while (systemClock.now() < until) {
      if (systemClock.now() >= nextSample) {
        await sample("throttled");
        nextSample += sampleEveryMs;
      }
      for (const t of await tokensOf(platform, "narrow")) if (t.blockedReason) seen.add(t.blockedReason);
      await systemClock.sleep(5_000);
    }
    const lift = await sample("throttled");
    const loadAtLift = loadavg();
    await platform.deployment.clients.lambda.send(
      new DeleteFunctionConcurrencyCommand({ FunctionName: "narrow" }),
    );
    const liftedAt = systemClock.now();
    let drainedSec: number | undefined;
    nextSample = liftedAt + sampleEveryMs;
    while (systemClock.now() < liftedAt + drainSec * 1000) {
      const d = await depth(platform, url);
      if (d.visible === 0 && d.inFlight === 0) {
        drainedSec = Math.round((systemClock.now() - liftedAt) / 1000);
        break;
      }
      if (systemClock.now() >= nextSample) {
        await sample("lifted");
        nextSample += sampleEveryMs;
      }
      await systemClock.sleep(1_000);
    }
    const end = await sample("lifted");
    const deliveries = await handledMessages(platform);
    const recorded = new Set(deliveries.map((d) => d.messageId));
    const deadLetteredIds = await drainIds(platform, dlq);
    const receiveCounts: Record<string, number> = {};
    for (const d of deliveries) receiveCounts[d.receiveCount] = (receiveCounts[d.receiveCount] ?? 0) + 1;
    return {
      throttledSec,
      loops,
      batchesWanted: loops * routeConcurrency,
      reservedConcurrency: reserved,
      maxReceiveCount,
      sent,
      atLift: { handled: lift.handled, deadLettered: lift.deadLettered, left: lift.visible + lift.inFlight },
      drainedSec,
      handled: end.handled,
      distinctHandled: deliveries.length,
      deadLettered: end.deadLettered,
      deadLetteredNeverRun: deadLetteredIds.filter((id) => !recorded.has(id)).length,
      left: end.visible + end.inFlight,
      receiveCounts,
      handledTwice: deliveries.filter((d) => d.deliveries > 1).length,
      blockedReasonsSeen: [...seen],
      loadAverage: { start: loadStart, atLift: loadAtLift, end: loadavg() },
      samples,
    };
  } finally {
    await platform.stop();
  }
}

/** Records the handler reported as succeeded (the `processed` table's per-queue counter). */
async function handledCount(platform: BenchPlatform): Promise<number> {
  const { Item } = await platform.deployment.clients.doc.send(
    new GetCommand({
      TableName: platform.deployment.tables.processed,
      Key: { messageId: "#stats#narrow" },
      ConsistentRead: true,
    }),
  );
  return Number(Item?.succeeded ?? 0);
}

/** Every message the handler recorded: its delivery count and the receive count of its last delivery. */
async function handledMessages(
  platform: BenchPlatform,
): Promise<{ messageId: string; deliveries: number; receiveCount: number }[]> {
  const found: { messageId: string; deliveries: number; receiveCount: number }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await platform.deployment.clients.doc.send(
      new ScanCommand({
        TableName: platform.deployment.tables.processed,
        ExclusiveStartKey: start,
        FilterExpression: "#queue = :q",
        ExpressionAttributeNames: { "#queue": "queue" },
        ExpressionAttributeValues: { ":q": "narrow" },
      }),
    );
    for (const item of page.Items ?? []) {
      found.push({
        messageId: String(item.messageId),
        deliveries: Number(item.deliveries ?? 0),
        receiveCount: Number(item.receiveCount ?? 0),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}

/** The narrow handler's counters in the local Lambda. */
function handlerStats(platform: BenchPlatform): ThrottleSample["handler"] {
  const { invocations, errors, timeouts, throttles } = platform.cloud.lambda.stats("narrow");
  return { invocations, errors, timeouts, throttles };
}

/** The ids of every message in a queue, received once each (hidden for the rest of the bench). */
async function drainIds(platform: BenchPlatform, queueUrl: string): Promise<string[]> {
  const ids = new Set<string>();
  for (;;) {
    const { Messages = [] } = await platform.deployment.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 600,
      }),
    );
    if (Messages.length === 0) return [...ids];
    for (const m of Messages) if (m.MessageId) ids.add(m.MessageId);
  }
}

/** Sends `count` bodies the record handler sleeps 50 ms on, in batches of 10, 8 batches in flight. */
async function fillSleeping(platform: BenchPlatform, queueUrl: string, count: number): Promise<void> {
  const { sqs } = platform.deployment.clients;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const start = next;
      next += 10;
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: Math.min(10, count - start) }, (_, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify({ n: start + i, sleepMs: 50 }),
          })),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 600);
  const sent = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const drain = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
  console.log(JSON.stringify(await benchThrottleDlq(seconds, sent, drain), null, 2));
}
