import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import type { Message } from "@aws-sdk/client-sqs";
import { parseRoute } from "@sqs-dispatcher/config";
import { systemClock, toSqsEvent } from "@sqs-dispatcher/core";
import { Consumer } from "sqs-consumer";
import { type BenchPlatform, fill, observeDrain } from "./support/benchPlatform.js";

const projectRoot = fileURLToPath(new URL("../", import.meta.url));
const clientScript = fileURLToPath(new URL("./support/clientProcess.ts", import.meta.url));

/** One contender's drain of one round. */
export interface RunResult {
  seconds: number;
  msgsPerSec: number;
  /** Requests the edge served during the drain (dispatcher runs only). */
  requests?: Record<string, number>;
  /** Handler milliseconds billed during the drain (dispatcher runs only). */
  handlerMs?: number;
}

/** Requests that grew between two snapshots of the edge's counts. */
function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, n]) => [key, n - (before[key] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}

/** A client in its own Node process (`bench/support/clientProcess.ts`), timed by the observer. */
export async function clientProcess(
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
export async function sqsConsumerInvoking(platform: BenchPlatform, messages: number, timeoutMs: number) {
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

/** One dispatcher loop at `concurrency`: the paused route's loop is unpaused, timed, and paused again. */
export async function dispatcherLoop(
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
