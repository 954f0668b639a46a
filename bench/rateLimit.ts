import { defineDispatcher } from "@sqs-dispatcher/config";
import { systemClock } from "@sqs-dispatcher/core";
import { benchFunctions, depth, fill, startBenchPlatform } from "./support/benchPlatform.js";

export interface RateLimitResult {
  windowSec: number;
  loops: number;
  rates: { maxRate: number; measured: number; errorPct: number }[];
}

const loops = 2;
const warmupSec = 5;

/**
 * How closely a route's `maxRate` holds: for each rate, a queue with a deep backlog and two loops
 * (each takes half the limit), drained by a no-op handler; the rate is the messages that left the
 * queue over `windowSec` after a warm-up, against the limit (goal: within ±10 % over a minute).
 */
export async function benchRateLimit(
  windowSec = 60,
  rates: readonly number[] = [50, 500],
): Promise<RateLimitResult> {
  const registry = defineDispatcher({
    app: "bench",
    functions: benchFunctions,
    routes: rates.map((maxRate) => ({
      queue: { name: `rate-${maxRate}`, visibilityTimeoutSec: 30 },
      function: "noop",
      minLoops: loops,
      maxLoops: loops,
      maxRate,
    })),
    local: {
      poller: { timeoutSec: 30, waitTimeSec: 3, marginSec: 2, renewEverySec: 5, routeCacheTtlSec: 1 },
      restart: { intervalSec: 3, staleAfterSec: 25, startGraceSec: 10 },
    },
  });
  const platform = await startBenchPlatform(registry);
  try {
    const out: RateLimitResult["rates"] = [];
    for (const maxRate of rates) {
      const url = platform.url(`rate-${maxRate}`);
      // Enough for the warm-up and the window, with a margin: the queue must never run dry.
      await fill(platform, url, Math.ceil(maxRate * (warmupSec + windowSec) * 1.3) + 100);
      await systemClock.sleep(warmupSec * 1000);
      const before = await depth(platform, url);
      const start = systemClock.now();
      await systemClock.sleep(windowSec * 1000);
      const after = await depth(platform, url);
      const seconds = (systemClock.now() - start) / 1000;
      const drained = before.visible + before.inFlight - (after.visible + after.inFlight);
      const measured = drained / seconds;
      out.push({ maxRate, measured, errorPct: ((measured - maxRate) / maxRate) * 100 });
    }
    return { windowSec, loops, rates: out };
  } finally {
    await platform.stop();
  }
}
