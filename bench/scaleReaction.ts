import { defineDispatcher } from "@sqs-dispatcher/config";
import { systemClock } from "@sqs-dispatcher/core";
import { benchFunctions, fill, startBenchPlatform, tokensOf } from "./support/benchPlatform.js";

export interface ScaleReactionResult {
  messages: number;
  /** How long the handler takes per batch at this spike. */
  batchMs: number;
  modes: { mode: "alarm" | "depth"; seconds: number; maxLoops: number }[];
}

const maxLoops = 4;
/** The spike the handler's pace is set for: 40 ms per batch of ten. */
const referenceSpike = { messages: 20_000, batchMs: 40 };
/** Below the handler's 5 s timeout. */
const maxBatchMs = 4_000;

/**
 * One spike of `messages` on two queues in one run: one scaled by its alarm tiers (the local
 * CloudWatch evaluates the queue's real depth; one metric minute lasts 3 s locally), one in depth
 * mode (restart's reconcile reads the depth). Reports the time from the start of the spike until
 * each queue has `maxLoops` loops. The handler takes 40 ms per batch at a 20,000-message spike and
 * proportionally longer at a smaller one, so one loop needs as long to drain any spike and a small
 * spike still stands long enough for the tiers to climb.
 */
export async function benchScaleReaction(messages: number): Promise<ScaleReactionResult> {
  const step = Math.ceil(messages / 8);
  const batchMs = Math.min(
    maxBatchMs,
    Math.max(
      referenceSpike.batchMs,
      Math.round((referenceSpike.batchMs * referenceSpike.messages) / messages),
    ),
  );
  const registry = defineDispatcher({
    app: "bench",
    functions: {
      ...benchFunctions,
      slow: {
        handler: "test/fixtures/functions/slowBatch.handler",
        timeoutSec: 5,
        environment: { SLEEP_MS: String(batchMs) },
      },
    },
    routes: [
      {
        queue: { name: "spike-alarm", visibilityTimeoutSec: 10 },
        function: "slow",
        maxLoops,
        alarms: [{ threshold: step }, { threshold: 2 * step }, { threshold: 3 * step }],
      },
      {
        queue: { name: "spike-depth", visibilityTimeoutSec: 10 },
        function: "slow",
        maxLoops,
        scaling: { mode: "depth", targetPerLoop: step, scaleInCooldownSec: 30 },
      },
    ],
    local: {
      poller: { timeoutSec: 30, waitTimeSec: 3, marginSec: 2, routeCacheTtlSec: 1, renewEverySec: 5 },
      // Above renewEverySec + waitTimeSec + the handler timeout + marginSec (15), as the registry requires.
      restart: { intervalSec: 3, staleAfterSec: 16, startGraceSec: 10 },
    },
  });
  const platform = await startBenchPlatform(registry);
  try {
    const start = systemClock.now();
    const reached: Partial<Record<"alarm" | "depth", number>> = {};
    const watch = (async () => {
      while (reached.alarm === undefined || reached.depth === undefined) {
        for (const mode of ["alarm", "depth"] as const) {
          if (reached[mode] === undefined && (await tokensOf(platform, `spike-${mode}`)).length >= maxLoops) {
            reached[mode] = (systemClock.now() - start) / 1000;
          }
        }
        if (systemClock.now() - start > 300_000)
          throw new Error(`scale reaction: maxLoops not reached in 300 s`);
        await systemClock.sleep(200);
      }
    })();
    await Promise.all([
      fill(platform, platform.url("spike-alarm"), messages),
      fill(platform, platform.url("spike-depth"), messages),
    ]);
    await watch;
    return {
      messages,
      batchMs,
      modes: [
        { mode: "alarm", seconds: reached.alarm as number, maxLoops },
        { mode: "depth", seconds: reached.depth as number, maxLoops },
      ],
    };
  } finally {
    await platform.stop();
  }
}
