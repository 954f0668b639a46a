import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { defineDispatcher } from "@sqs-dispatcher/config";
import { systemClock } from "@sqs-dispatcher/core";
import { type BenchPlatform, depth, startBenchPlatform, tokensOf } from "./support/benchPlatform.js";

/** What a long throttle did to a queue that dead-letters after a few receives. */
export interface ThrottleDlqResult {
  throttledSec: number;
  loops: number;
  batchesWanted: number;
  reservedConcurrency: number;
  maxReceiveCount: number;
  sent: number;
  deadLettered: number;
  left: number;
  blockedReasonsSeen: string[];
}

const loops = 6;
const routeConcurrency = 2;
const reserved = 2;
const maxReceiveCount = 3;

/**
 * A handler far narrower than the loops that feed it: reserved concurrency 2 against 6 loops × 2
 * batches each, for `throttledSec` (default 10 minutes), with a queue that dead-letters after 3
 * receives and 30 s poller invocations (about 20 per loop). Every message that reaches the DLQ
 * would have done so without its handler having run: the figure to report is that count.
 *
 * Run once: `pnpm tsx bench/throttleDlq.ts [seconds] [messages]`.
 */
export async function benchThrottleDlq(
  throttledSec = 600,
  sent = throttledSec * 25,
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
  const platform = await startBenchPlatform(registry);
  try {
    const url = platform.url("narrow");
    const dlq = platform.deployment.queues.find((q) => q.name === "narrow")?.dlqUrl;
    if (!dlq) throw new Error("no DLQ for queue narrow");
    // Each record sleeps 50 ms: a batch of 10 holds a slot for half a second, so two slots drain
    // at most about 40 messages a second; with the local cloud's own overhead the backlog outlasts
    // the throttle window.
    await fillSleeping(platform, url, sent);
    const seen = new Set<string>();
    const until = systemClock.now() + throttledSec * 1000;
    while (systemClock.now() < until) {
      for (const t of await tokensOf(platform, "narrow")) if (t.blockedReason) seen.add(t.blockedReason);
      await systemClock.sleep(5_000);
    }
    const after = await depth(platform, url);
    return {
      throttledSec,
      loops,
      batchesWanted: loops * routeConcurrency,
      reservedConcurrency: reserved,
      maxReceiveCount,
      sent,
      deadLettered: (await depth(platform, dlq)).visible,
      left: after.visible + after.inFlight,
      blockedReasonsSeen: [...seen],
    };
  } finally {
    await platform.stop();
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
  console.log(JSON.stringify(await benchThrottleDlq(seconds, sent), null, 2));
}
