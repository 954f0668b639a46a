import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import type { Message } from "@aws-sdk/client-sqs";
import { parseRoute, pollerSchema } from "@sqs-dispatcher/config";
import { systemClock, toSqsEvent } from "@sqs-dispatcher/core";
import { Consumer } from "sqs-consumer";
import {
  type BenchPlatform,
  benchFunctions,
  benchRegistry,
  defaultRouteConcurrency,
  fill,
  observeDrain,
  startBenchPlatform,
} from "./support/benchPlatform.js";
import { Pricing } from "./support/pricing.js";
import { quantile } from "./support/stats.js";

const projectRoot = fileURLToPath(new URL("../", import.meta.url));
const clientScript = fileURLToPath(new URL("./support/clientProcess.ts", import.meta.url));

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

/** Requests by `service:operation` and Lambda GB-seconds, scaled to one million messages. */
export interface CostPerMillion {
  requests: Record<string, number>;
  handlerGbSeconds: number;
  pollerGbSeconds: number;
  dollars: { sqs: number; lambdaRequests: number; lambdaCompute: number; dynamodb: number; total: number };
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
const dynamoWrites = [
  "dynamodb:UpdateItem",
  "dynamodb:PutItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
];

interface RunResult {
  seconds: number;
  msgsPerSec: number;
  /** Requests the edge served during the drain (dispatcher runs only). */
  requests?: Record<string, number>;
  /** Handler milliseconds billed during the drain (dispatcher runs only). */
  handlerMs?: number;
}

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
        run: () => dispatcher(platform, "tp-loop", c, messages, timeoutMs, settleMs),
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

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, n]) => [key, n - (before[key] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}

function costPerMillion(run: {
  messages: number;
  requests: Record<string, number>;
  handlerGbSeconds: number;
  pollerGbSeconds: number;
}): CostPerMillion {
  const scale = 1_000_000 / run.messages;
  // The observer's own GetQueueAttributes polls are the benchmark's, not the platform's.
  const requests = Object.fromEntries(
    Object.entries(run.requests)
      // The benchmark's own sends and observer polls, and the local alarm evaluator's metric reads and
      // notifications (CloudWatch's own work on AWS), are not the platform's requests.
      .filter(
        ([key]) =>
          ![
            "sqs:GetQueueAttributes",
            "sqs:SendMessageBatch",
            "sqs:ListQueues",
            // The benchmark's own pause and unpause of the route.
            "ssm:PutParameter",
          ].includes(key) &&
          !key.startsWith("sns:") &&
          !key.startsWith("monitoring:"),
      )
      .map(([key, n]) => [key, Math.round(n * scale)]),
  );
  const sum = (prefix: string) =>
    Object.entries(requests).reduce((total, [key, n]) => (key.startsWith(prefix) ? total + n : total), 0);
  const handlerGbSeconds = run.handlerGbSeconds * scale;
  const pollerGbSeconds = run.pollerGbSeconds * scale;
  const sqs = (sum("sqs:") / 1e6) * Pricing.sqsStandardPerMillionRequests;
  const lambdaRequests = (sum("lambda:Invoke") / 1e6) * Pricing.lambdaPerMillionRequests;
  const lambdaCompute = (handlerGbSeconds + pollerGbSeconds) * Pricing.lambdaPerGbSecond;
  // Heartbeats and claims are small conditional writes: one write unit each. Reads (restart's scans
  // and queries of the tokens table) are priced at one read unit each, an upper bound for small items.
  const writes = dynamoWrites.reduce((n, key) => n + (requests[key] ?? 0), 0);
  const reads = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem"].reduce(
    (n, key) => n + (requests[key] ?? 0),
    0,
  );
  const dynamodb =
    (writes / 1e6) * Pricing.dynamoPerMillionWriteUnits + (reads / 1e6) * Pricing.dynamoPerMillionReadUnits;
  return {
    requests,
    handlerGbSeconds,
    pollerGbSeconds,
    dollars: {
      sqs,
      lambdaRequests,
      lambdaCompute,
      dynamodb,
      total: sqs + lambdaRequests + lambdaCompute + dynamodb,
    },
  };
}

/** A client in its own Node process (`bench/support/clientProcess.ts`), timed by the observer. */
async function clientProcess(
  platform: BenchPlatform,
  mode: "raw" | "sqs-consumer",
  queue: string,
  messages: number,
  timeoutMs: number,
): Promise<RunResult> {
  const url = platform.url(queue);
  await fill(platform, url, messages);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", clientScript, mode, platform.cloud.endpoint, platform.cloud.region, url],
    {
      cwd: projectRoot,
      env: { ...process.env, AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1" },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const exited = new Promise<never>((_, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      reject(new Error(`the ${mode} client process ended early (code ${code}, signal ${signal})`)),
    );
  });
  exited.catch(() => undefined);
  try {
    return await Promise.race([observeDrain(platform, url, messages, { timeoutMs }), exited]);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await gone;
    }
  }
}

/** The invoke-for-invoke comparison: sqs-consumer in the benchmark's process, invoking the no-op Lambda. */
async function sqsConsumerInvoking(platform: BenchPlatform, messages: number, timeoutMs: number) {
  const url = platform.url("tp-consumer-invoke");
  await fill(platform, url, messages);
  const { sqs, lambda } = platform.deployment.clients;
  const region = platform.cloud.region;
  const consumer = Consumer.create({
    queueUrl: url,
    sqs,
    batchSize: 10,
    waitTimeSeconds: 1,
    attributeNames: ["All"],
    messageAttributeNames: ["All"],
    // Same work as the dispatcher's loop: the no-op handler invoked synchronously with Lambda's SQS event.
    handleMessageBatch: async (batch: Message[]) => {
      const event = toSqsEvent(
        batch.map((m) => ({
          messageId: m.MessageId!,
          receiptHandle: m.ReceiptHandle!,
          body: m.Body ?? "",
          md5OfBody: m.MD5OfBody ?? "",
          attributes: (m.Attributes ?? {}) as Record<string, string>,
          messageAttributes: {},
        })),
        url,
        region,
      );
      const result = await lambda.send(
        new InvokeCommand({ FunctionName: "noop", Payload: Buffer.from(JSON.stringify(event)) }),
      );
      if (result.FunctionError) throw new Error(`noop failed: ${result.FunctionError}`);
      return batch;
    },
  });
  // Stopping with `abort` cancels the long poll in flight; that is the benchmark ending, not an error.
  consumer.on("error", (error) => {
    if (!/aborted/i.test(String(error))) console.error(`sqs-consumer: ${String(error)}`);
  });
  consumer.start();
  try {
    return await observeDrain(platform, url, messages, { timeoutMs });
  } finally {
    consumer.stop({ abort: true });
  }
}

async function dispatcher(
  platform: BenchPlatform,
  queue: string,
  concurrency: number,
  messages: number,
  timeoutMs: number,
  settleMs: number,
): Promise<RunResult> {
  const url = platform.url(queue);
  await fill(platform, url, messages);
  const store = platform.deployment.routesStore;
  const route = await store.get(queue);
  if (!route) throw new Error(`route ${queue} missing`);
  const requestsBefore = platform.cloud.requests.snapshot();
  const handlerBefore = platform.cloud.lambda.stats("noop").billedMs;
  // The loop is already running on the paused route: unpausing (at this concurrency) is the start signal.
  await store.put(parseRoute({ ...route, concurrency, paused: false }));
  try {
    const drain = await observeDrain(platform, url, messages, { timeoutMs });
    return {
      ...drain,
      requests: delta(platform.cloud.requests.snapshot(), requestsBefore),
      handlerMs: platform.cloud.lambda.stats("noop").billedMs - handlerBefore,
    };
  } finally {
    await store.put(parseRoute({ ...route, paused: true }));
    await systemClock.sleep(settleMs);
  }
}
