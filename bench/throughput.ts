import { InvokeCommand } from "@aws-sdk/client-lambda";
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { parseRoute } from "@sqs-dispatcher/config";
import { toSqsEvent } from "@sqs-dispatcher/core";
import { Consumer } from "sqs-consumer";
import {
  type BenchPlatform,
  benchFunctions,
  benchRegistry,
  fill,
  observeDrain,
  startBenchPlatform,
} from "./support/benchPlatform.js";
import { Pricing } from "./support/pricing.js";
import { quantile } from "./support/stats.js";

export interface ThroughputResult {
  messages: number;
  rounds: number;
  /** Median round per contender, with the slowest and fastest round. */
  contenders: { name: string; seconds: number; msgsPerSec: number; min: number; max: number }[];
  /** What the 4-loop dispatcher drain cost in requests and compute, per million messages. */
  cost: CostPerMillion;
}

/** Requests by `service:operation` and Lambda GB-seconds, scaled to one million messages. */
export interface CostPerMillion {
  requests: Record<string, number>;
  handlerGbSeconds: number;
  pollerGbSeconds: number;
  dollars: { sqs: number; lambdaRequests: number; lambdaCompute: number; dynamodb: number; total: number };
}

/**
 * Drains `messages` no-op messages four ways on one local SQS, in one run: a raw
 * ReceiveMessage(10) + DeleteMessageBatch loop (the practical limit), sqs-consumer
 * invoking the same no-op Lambda the same way, and the dispatcher with 1 and 4 loops.
 */
export async function benchThroughput(messages: number, rounds = 3): Promise<ThroughputResult> {
  const registry = benchRegistry([
    { queue: { name: "tp-raw", visibilityTimeoutSec: 30 }, function: "noop", paused: true },
    { queue: { name: "tp-consumer", visibilityTimeoutSec: 30 }, function: "noop", paused: true },
    {
      queue: { name: "tp-1", visibilityTimeoutSec: 30 },
      function: "noop",
      minLoops: 1,
      maxLoops: 1,
      paused: true,
    },
    {
      queue: { name: "tp-4", visibilityTimeoutSec: 30 },
      function: "noop",
      minLoops: 4,
      maxLoops: 4,
      paused: true,
    },
  ]);
  const platform = await startBenchPlatform(registry);
  try {
    const timeoutMs = Math.max(120_000, messages * 20);
    const runs: Record<string, () => Promise<{ seconds: number; msgsPerSec: number }>> = {
      "raw receive(10)+deleteBatch": () => rawLoop(platform, messages, timeoutMs),
      "sqs-consumer 14 (batch 10)": () => sqsConsumer(platform, messages, timeoutMs),
      "dispatcher, 1 loop": () => dispatcher(platform, "tp-1", messages, timeoutMs),
      "dispatcher, 4 loops": () => dispatcher(platform, "tp-4", messages, timeoutMs),
    };
    const names = Object.keys(runs);
    const samples = new Map<string, number[]>(names.map((n) => [n, []]));
    const requests: Record<string, number> = {};
    let handlerMs = 0;
    let fourLoopSeconds = 0;
    // On a shared 2-core machine one run swings with the load: every round runs each contender once,
    // in a rotated order, and the table reports the median round.
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length] as string;
        const requestsBefore = platform.cloud.requests.snapshot();
        const handlerBefore = platform.cloud.lambda.stats("noop").billedMs;
        const result = await (runs[name] as () => Promise<{ seconds: number; msgsPerSec: number }>)();
        samples.get(name)?.push(result.msgsPerSec);
        if (name === "dispatcher, 4 loops") {
          for (const [key, n] of Object.entries(delta(platform.cloud.requests.snapshot(), requestsBefore))) {
            requests[key] = (requests[key] ?? 0) + n;
          }
          handlerMs += platform.cloud.lambda.stats("noop").billedMs - handlerBefore;
          fourLoopSeconds += result.seconds;
        }
      }
    }
    const contenders: ThroughputResult["contenders"] = names.map((name) => {
      const rates = samples.get(name) ?? [];
      const msgsPerSec = quantile(rates, 0.5);
      return {
        name,
        seconds: messages / msgsPerSec,
        msgsPerSec,
        min: Math.min(...rates),
        max: Math.max(...rates),
      };
    });
    const cost = costPerMillion({
      messages: messages * rounds,
      requests,
      handlerGbSeconds: (handlerMs / 1000) * (benchFunctions.noop.memoryMb / 1024),
      // A loop is billed for every second it runs, long polls included.
      pollerGbSeconds: 4 * fourLoopSeconds * (registry.poller.memoryMb / 1024),
    });
    return { messages, rounds, contenders, cost };
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
  // Heartbeats and claims are small conditional writes: one write unit each.
  const dynamodb = (sum("dynamodb:UpdateItem") / 1e6) * Pricing.dynamoPerMillionWriteUnits;
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

async function rawLoop(platform: BenchPlatform, messages: number, timeoutMs: number) {
  const url = platform.url("tp-raw");
  await fill(platform, url, messages);
  const { sqs } = platform.deployment.clients;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) continue;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  })();
  try {
    return await observeDrain(platform, url, messages, { timeoutMs });
  } finally {
    running = false;
    await loop;
  }
}

async function sqsConsumer(platform: BenchPlatform, messages: number, timeoutMs: number) {
  const url = platform.url("tp-consumer");
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

async function dispatcher(platform: BenchPlatform, queue: string, messages: number, timeoutMs: number) {
  const url = platform.url(queue);
  await fill(platform, url, messages);
  const store = platform.deployment.routesStore;
  const route = await store.get(queue);
  if (!route) throw new Error(`route ${queue} missing`);
  // The loops are already running on a paused route: unpausing is the start signal.
  await store.put(parseRoute({ ...route, paused: false }));
  try {
    return await observeDrain(platform, url, messages, { timeoutMs });
  } finally {
    await store.put(parseRoute({ ...route, paused: true }));
  }
}
