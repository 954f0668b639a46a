import { parseRoute } from "@sqs-dispatcher/config";
import { systemClock } from "@sqs-dispatcher/core";
import { benchRegistry, fill, observeDrain, startBenchPlatform } from "./support/benchPlatform.js";
import { quantile } from "./support/stats.js";

export interface SlowHandlerSweepResult {
  messages: number;
  rounds: number;
  handlerMs: number;
  /** Median drain rate of one loop per concurrency, with the slowest and fastest round. */
  runs: { concurrency: number; msgsPerSec: number; min: number; max: number }[];
}

/**
 * One loop draining `messages` through a handler that takes 50 ms per batch, at each concurrency:
 * where the handler is the bottleneck, batches in flight multiply a loop's throughput until the
 * receives (one long poll at a time per loop) or the machine become the limit. Rounds rotate the
 * order, as the throughput benchmark does.
 */
export async function benchSlowHandlerSweep(
  concurrencies: readonly number[],
  messages: number,
  rounds: number,
): Promise<SlowHandlerSweepResult> {
  const registry = benchRegistry(
    [{ queue: { name: "sweep-slow", visibilityTimeoutSec: 30 }, function: "sleep50", paused: true }],
    {},
    { sleep50: { handler: "bench/handlers/sleep50.handler", timeoutSec: 5, memoryMb: 128 } },
  );
  const platform = await startBenchPlatform(registry);
  const samples = new Map<number, number[]>(concurrencies.map((c) => [c, []]));
  try {
    const url = platform.url("sweep-slow");
    const store = platform.deployment.routesStore;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < concurrencies.length; i++) {
        const concurrency = concurrencies[(i + round) % concurrencies.length] as number;
        await fill(platform, url, messages);
        const route = await store.get("sweep-slow");
        if (!route) throw new Error("route sweep-slow missing");
        await store.put(parseRoute({ ...route, concurrency, paused: false }));
        try {
          const drain = await observeDrain(platform, url, messages, {
            timeoutMs: Math.max(120_000, messages * 60),
          });
          samples.get(concurrency)?.push(drain.msgsPerSec);
        } finally {
          await store.put(parseRoute({ ...route, paused: true }));
          // A paused loop notices within its route cache TTL: let it stop before the next fill.
          await systemClock.sleep(5_000);
        }
      }
    }
    return {
      messages,
      rounds,
      handlerMs: 50,
      runs: concurrencies.map((concurrency) => {
        const rates = samples.get(concurrency) ?? [];
        return {
          concurrency,
          msgsPerSec: quantile(rates, 0.5),
          min: Math.min(...rates),
          max: Math.max(...rates),
        };
      }),
    };
  } finally {
    await platform.stop();
  }
}
