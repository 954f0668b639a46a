import { pollerSchema } from "@sqs-dispatcher/config";
import {
  benchFunctions,
  benchRegistry,
  defaultRouteConcurrency,
  startBenchPlatform,
} from "./support/benchPlatform.js";
import { quantile } from "./support/stats.js";
import {
  clientProcess,
  dispatcherLoop,
  type RunResult,
  sqsConsumerInvoking,
} from "./throughputContenders.js";
import { type CostPerMillion, costPerMillion, dynamoWrites } from "./throughputCost.js";

/** One contender's median round, with the slowest and fastest round. */
export interface ContenderResult {
  id: string;
  name: string;
  seconds: number;
  msgsPerSec: number;
  min: number;
  max: number;
}

/** What one loop of the dispatcher wrote to DynamoDB while it drained (counted at the edge). */
export interface LeaseWrites {
  concurrency: number;
  /** Messages drained, all rounds together. */
  messages: number;
  /** Seconds the loop spent draining, all rounds together. */
  loopSeconds: number;
  /** DynamoDB write requests (`UpdateItem`, `PutItem`, `DeleteItem`, `BatchWriteItem`) during the drains. */
  writes: number;
  writesPer1000Messages: number;
}

export interface ThroughputResult {
  messages: number;
  rounds: number;
  /** The dispatcher's lease renewal interval in this run (the AWS default). */
  renewEverySec: number;
  /** Contenders in the order they are reported (dispatcher contenders are `dispatcher-c<N>`). */
  contenders: ContenderResult[];
  /** One entry per dispatcher concurrency that ran. */
  leaseWrites: LeaseWrites[];
  /** What one dispatcher loop at the default concurrency cost, per million messages. */
  cost?: CostPerMillion & { concurrency: number };
}

/** What {@link benchThroughput} runs. */
export interface ThroughputPlan {
  messages: number;
  rounds: number;
  /** The head-to-head: raw loop, sqs-consumer twice, one dispatcher loop at the default concurrency and at 1. */
  headToHead: boolean;
  /** Concurrencies of one dispatcher loop to sweep (each runs once per round, with the head-to-head). */
  sweep: number[];
}

/** Contender ids. */
export const Contender = {
  Raw: "raw",
  ConsumerInProcess: "sqs-consumer-in-process",
  ConsumerInvoke: "sqs-consumer-invoke",
  dispatcher: (concurrency: number) => `dispatcher-c${concurrency}`,
} as const;

/** The AWS default lease renewal interval (`poller.renewEverySec`): the throughput runs use it. */
const productionRenewEverySec = pollerSchema.parse({}).renewEverySec;
/**
 * Drains `messages` no-op messages on one local SQS, several ways, in one run: a raw
 * ReceiveMessage(10) + DeleteMessageBatch loop in its own process (the practical limit); sqs-consumer 14 as its users
 * run it (no-op handler in-process, in its own Node process); sqs-consumer invoking the same no-op
 * Lambda the dispatcher invokes (invoke for invoke); and one dispatcher loop at each concurrency
 * asked for. Every contender is timed by the same observer. Every round runs each contender once,
 * in a rotated order; the tables report the median round.
 */
export async function benchThroughput(plan: ThroughputPlan): Promise<ThroughputResult> {
  const { messages, rounds } = plan;
  // Idle loops on the other queues would heartbeat into the dispatcher's counts: only tp-loop has a loop.
  const noLoops = { minLoops: 0, maxLoops: 1, paused: true };
  const registry = benchRegistry(
    [
      { queue: { name: "tp-raw", visibilityTimeoutSec: 30 }, function: "noop", ...noLoops },
      { queue: { name: "tp-consumer", visibilityTimeoutSec: 30 }, function: "noop", ...noLoops },
      { queue: { name: "tp-consumer-invoke", visibilityTimeoutSec: 30 }, function: "noop", ...noLoops },
      {
        queue: { name: "tp-loop", visibilityTimeoutSec: 30 },
        function: "noop",
        minLoops: 1,
        maxLoops: 1,
        paused: true,
      },
    ],
    // Renew the lease as often as on AWS; restart's staleness must then exceed one interval and a
    // full cycle (the registry checks it): 60 + 3 + 5 + 2 < 75.
    {
      poller: { renewEverySec: productionRenewEverySec },
      restart: { staleAfterSec: productionRenewEverySec + 15 },
    },
  );
  const platform = await startBenchPlatform(registry);
  try {
    const timeoutMs = Math.max(120_000, messages * 20);
    // After a pause the loop may still act on its cached route, and a long poll it started may still
    // take messages: the next run's fill waits until neither can happen.
    const poller = { ...registry.poller, ...registry.local.poller };
    const settleMs = (poller.routeCacheTtlSec + poller.waitTimeSec + 1) * 1000;
    const runs = new Map<string, { name: string; run: () => Promise<RunResult> }>();
    if (plan.headToHead) {
      runs.set(Contender.Raw, {
        name: "raw receive(10)+deleteBatch, no handler, own process",
        run: () => clientProcess(platform, "raw", "tp-raw", messages, timeoutMs),
      });
      runs.set(Contender.ConsumerInProcess, {
        name: "sqs-consumer 14, no-op handler in-process, own process",
        run: () => clientProcess(platform, "sqs-consumer", "tp-consumer", messages, timeoutMs),
      });
      runs.set(Contender.ConsumerInvoke, {
        name: "sqs-consumer 14 invoking the no-op Lambda (invoke for invoke)",
        run: () => sqsConsumerInvoking(platform, messages, timeoutMs),
      });
    }
    const concurrencies = [
      ...new Set([...(plan.headToHead ? [defaultRouteConcurrency, 1] : []), ...plan.sweep]),
    ];
    for (const c of concurrencies) {
      runs.set(Contender.dispatcher(c), {
        name: `dispatcher, 1 loop, concurrency ${c}${c === defaultRouteConcurrency ? " (default)" : ""}`,
        run: () => dispatcherLoop(platform, "tp-loop", c, messages, timeoutMs, settleMs),
      });
    }
    const ids = [...runs.keys()];
    const samples = new Map<string, number[]>(ids.map((id) => [id, []]));
    const drains = new Map<
      number,
      { seconds: number; requests: Record<string, number>; handlerMs: number }
    >();
    // On a shared 2-core machine one run swings with the load: every round runs each contender once,
    // in a rotated order, and the tables report the median round.
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < ids.length; i++) {
        const id = ids[(i + round) % ids.length] as string;
        const result = await (runs.get(id) as { run: () => Promise<RunResult> }).run();
        samples.get(id)?.push(result.msgsPerSec);
        const c = concurrencies.find((n) => Contender.dispatcher(n) === id);
        if (c !== undefined) {
          const sum = drains.get(c) ?? { seconds: 0, requests: {}, handlerMs: 0 };
          sum.seconds += result.seconds;
          sum.handlerMs += result.handlerMs ?? 0;
          for (const [key, n] of Object.entries(result.requests ?? {}))
            sum.requests[key] = (sum.requests[key] ?? 0) + n;
          drains.set(c, sum);
        }
      }
    }
    const contenders: ContenderResult[] = ids.map((id) => {
      const rates = samples.get(id) ?? [];
      const msgsPerSec = quantile(rates, 0.5);
      return {
        id,
        name: runs.get(id)?.name ?? id,
        seconds: messages / msgsPerSec,
        msgsPerSec,
        min: Math.min(...rates),
        max: Math.max(...rates),
      };
    });
    const drained = messages * rounds;
    const leaseWrites: LeaseWrites[] = [...drains.entries()]
      .sort(([a], [b]) => a - b)
      .map(([concurrency, d]) => {
        const writes = dynamoWrites.reduce((n, key) => n + (d.requests[key] ?? 0), 0);
        return {
          concurrency,
          messages: drained,
          loopSeconds: d.seconds,
          writes,
          writesPer1000Messages: (writes / drained) * 1000,
        };
      });
    const costDrain = drains.get(defaultRouteConcurrency);
    const cost = costDrain && {
      concurrency: defaultRouteConcurrency,
      ...costPerMillion({
        messages: drained,
        requests: costDrain.requests,
        handlerGbSeconds: (costDrain.handlerMs / 1000) * (benchFunctions.noop.memoryMb / 1024),
        // A loop is billed for every second it runs, long polls included.
        pollerGbSeconds: costDrain.seconds * (registry.poller.memoryMb / 1024),
      }),
    };
    return { messages, rounds, renewEverySec: productionRenewEverySec, contenders, leaseWrites, cost };
  } finally {
    await platform.stop();
  }
}
