import { PurgeQueueCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import {
  defineDispatcher,
  type PollerConfig,
  type Registry,
  type RestartConfig,
  type RouteConfig,
  routeConfigSchema,
} from "@sqs-dispatcher/config";
import { systemClock, type TokenRecord } from "@sqs-dispatcher/core";
import { createDynamoLeaseStore, readQueueDepth } from "@sqs-dispatcher/core/aws";
import { deployLocal, type LocalCloud, type LocalDeployment, startLocalCloud } from "@sqs-dispatcher/local";

/** Handler functions the benchmarks route to. */
export const benchFunctions = {
  noop: { handler: "packages/functions/src/handlers/noop.handler", timeoutSec: 5, memoryMb: 128 },
  stamp: { handler: "bench/handlers/stamp.handler", timeoutSec: 5, memoryMb: 128 },
} as const;

/** Timing a benchmark sets on top of the bench's local settings. */
export interface BenchTiming {
  poller?: Partial<Pick<PollerConfig, "renewEverySec" | "timeoutSec" | "waitTimeSec">>;
  restart?: Partial<RestartConfig>;
}

/**
 * A registry for one benchmark: local settings as `pnpm dev` has them unless `timing` overrides
 * them. The registry checks that restart's `staleAfterSec` exceeds `renewEverySec` + `waitTimeSec`
 * + the longest handler timeout (5 s) + `marginSec`: a benchmark that renews rarely must raise it.
 */
export function benchRegistry(
  routes: RouteConfig[] | Parameters<typeof defineDispatcher>[0]["routes"],
  timing: BenchTiming = {},
  extraFunctions: Parameters<typeof defineDispatcher>[0]["functions"] = {},
): Registry {
  return defineDispatcher({
    app: "bench",
    functions: { ...benchFunctions, ...extraFunctions },
    routes,
    local: {
      poller: {
        timeoutSec: 30,
        waitTimeSec: 3,
        marginSec: 2,
        routeCacheTtlSec: 1,
        renewEverySec: 5,
        ...timing.poller,
      },
      restart: { intervalSec: 3, staleAfterSec: 16, startGraceSec: 10, ...timing.restart },
    },
  });
}

/** A route's batches in flight per loop when it does not say (the registry's default). */
export const defaultRouteConcurrency = routeConfigSchema.parse({
  queue: { name: "q" },
  function: "f",
}).concurrency;

export interface BenchPlatform {
  cloud: LocalCloud;
  deployment: LocalDeployment;
  url(queue: string): string;
  stop(): Promise<void>;
}

/** A fresh local cloud on a free port with `registry` deployed. */
export async function startBenchPlatform(registry: Registry): Promise<BenchPlatform> {
  const cloud = await startLocalCloud({ port: 0 });
  try {
    const deployment = await deployLocal(cloud, registry);
    return {
      cloud,
      deployment,
      url(queue) {
        const q = deployment.queues.find((x) => x.name === queue);
        if (!q) throw new Error(`no queue ${queue}`);
        return q.url;
      },
      async stop() {
        await deployment.stop();
        await cloud.stop();
      },
    };
  } catch (error) {
    await cloud.stop();
    throw error;
  }
}

/** Sends `count` small bodies in batches of 10, 8 batches in flight. */
export async function fill(platform: BenchPlatform, queueUrl: string, count: number): Promise<void> {
  const { sqs } = platform.deployment.clients;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const start = next;
      next += 10;
      const n = Math.min(10, count - start);
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: n }, (_, i) => ({
            Id: String(i),
            MessageBody: `{"n":${start + i}}`,
          })),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

export async function depth(
  platform: BenchPlatform,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { visible, inFlight } = await readQueueDepth(platform.deployment.clients.sqs, queueUrl);
  return { visible, inFlight };
}

/** A row of the `tokens` table. */
export type TokenRow = TokenRecord;

/** The tokens (loops) of one queue, strongly consistent (the lease store's read). */
export function tokensOf(platform: BenchPlatform, queue: string): Promise<TokenRow[]> {
  const { doc } = platform.deployment.clients;
  return createDynamoLeaseStore({ doc, tableName: platform.deployment.tables.tokens }).listByQueue(
    platform.url(queue),
  );
}

export async function purge(platform: BenchPlatform, queueUrl: string): Promise<void> {
  await platform.deployment.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
}

/**
 * Measures a drain the same way for every contender: an observer polls the queue every 50 ms;
 * the clock starts when the first message leaves `visible` and stops when nothing is visible or in flight.
 */
export async function observeDrain(
  platform: BenchPlatform,
  queueUrl: string,
  total: number,
  options: { timeoutMs: number; clock?: typeof systemClock },
): Promise<{ seconds: number; msgsPerSec: number }> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + options.timeoutMs;
  let startedAt: number | undefined;
  for (;;) {
    const d = await depth(platform, queueUrl);
    const now = clock.now();
    if (startedAt === undefined && d.visible < total) startedAt = now;
    if (startedAt !== undefined && d.visible === 0 && d.inFlight === 0) {
      const seconds = Math.max(0.001, (now - startedAt) / 1000);
      return { seconds, msgsPerSec: total / seconds };
    }
    if (now > deadline)
      throw new Error(
        `drain of ${queueUrl} did not finish in ${options.timeoutMs} ms (${JSON.stringify(d)})`,
      );
    await clock.sleep(50);
  }
}
