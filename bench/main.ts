import { readBenchOptions, sweepConcurrencies } from "./benchOptions.js";
import {
  reportIdle,
  reportLatency,
  reportRateLimit,
  reportRecovery,
  reportScaleModel,
  reportScaleReaction,
  reportSlowHandlerSweep,
  reportThroughput,
} from "./benchReports.js";
import type { IdleResult } from "./idleRoutes.js";
import { benchLatency, type LatencyResult } from "./latency.js";
import { benchRecovery, type RecoveryResult } from "./recovery.js";
import type { ScaleModelResult } from "./scaleModel.js";
import type { SlowHandlerSweepResult } from "./slowHandlerSweep.js";
import { benchThroughput, type ThroughputResult } from "./throughput.js";

// The project runs on Node 20 (package.json "engines"): the SDK's "needs Node 22 later" warning would repeat in every function's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const {
  json,
  messages,
  samples,
  trials,
  rounds,
  restLoops,
  restSeconds,
  rateSeconds,
  idleSeconds,
  idleSamples,
  idlePerLoop,
  idleSizes,
  sizes,
  only,
} = readBenchOptions();

const results: {
  machine: Record<string, unknown>;
  throughput?: ThroughputResult;
  latency?: LatencyResult;
  recovery?: RecoveryResult;
  reaction?: unknown;
  scale?: ScaleModelResult;
  rate?: unknown;
  idle?: IdleResult;
  slowHandlerSweep?: SlowHandlerSweepResult;
} = { machine: await machine() };
const say = (text: string) => {
  if (!json) console.log(text);
};

if (only.has("throughput") || only.has("concurrency")) {
  const parts = [only.has("throughput") && "head-to-head", only.has("concurrency") && "concurrency sweep"];
  say(
    `throughput (${parts.filter(Boolean).join(" + ")}): draining ${messages} messages per run, ${rounds} round(s) ...`,
  );
  const t = await benchThroughput({
    messages,
    rounds,
    headToHead: only.has("throughput"),
    sweep: only.has("concurrency") ? sweepConcurrencies : [],
  });
  results.throughput = t;
  reportThroughput(t, { rounds, headToHead: only.has("throughput"), sweep: only.has("concurrency") }, say);
}
if (only.has("concurrency")) {
  const { benchSlowHandlerSweep } = await import("./slowHandlerSweep.js");
  const slowMessages = Math.max(200, Math.round(messages / 10));
  say(
    `\nconcurrency sweep with a 50 ms handler: one loop, ${slowMessages} messages per run, ${rounds} round(s) ...`,
  );
  const sweep = await benchSlowHandlerSweep(sweepConcurrencies, slowMessages, rounds);
  results.slowHandlerSweep = sweep;
  reportSlowHandlerSweep(sweep, say);
}
if (only.has("latency")) {
  say(`\nlatency: ${samples} messages on an idle queue, send → handler start ...`);
  const l = await benchLatency(samples);
  results.latency = l;
  reportLatency(l, say);
}
if (only.has("recovery")) {
  say(`\nrecovery: ${trials} killed pollers, time to the replacement's first heartbeat ...`);
  const r = await benchRecovery(trials);
  results.recovery = r;
  reportRecovery(r, say);
}
if (only.has("reaction")) {
  const { benchScaleReaction } = await import("./scaleReaction.js");
  say(`\nscale reaction: a ${messages}-message spike, time to maxLoops ...`);
  const s = await benchScaleReaction(messages);
  results.reaction = s;
  reportScaleReaction(s, say);
}
if (only.has("scale")) {
  const { benchScaleModel, defaultScaleSizes } = await import("./scaleModel.js");
  const scaleSizes = sizes ?? defaultScaleSizes;
  say(
    `\nscale model: restart and route reads at ${scaleSizes.map((z) => `${z.queues}/${z.tokens}`).join(", ")} queues/tokens ...`,
  );
  const m = await benchScaleModel(scaleSizes, { restLoops, restSeconds, log: say });
  results.scale = m;
  reportScaleModel(m, say);
}
if (only.has("rate")) {
  const { benchRateLimit } = await import("./rateLimit.js");
  say(`\nrate limit: maxRate 50 and 500 msg/s, 2 loops, messages drained over ${rateSeconds} s ...`);
  const r = await benchRateLimit(rateSeconds);
  results.rate = r;
  reportRateLimit(r, say);
}
if (only.has("idle")) {
  const { benchIdle } = await import("./idleRoutes.js");
  say(`\nidle: ${idleSizes.join(", ")} quiet routes at rest, ${idleSeconds} s each, then first messages ...`);
  const r = await benchIdle({
    sizes: idleSizes,
    windowSec: idleSeconds,
    samples: idleSamples,
    ...(idlePerLoop !== undefined ? { sharedQueuesPerLoop: idlePerLoop } : {}),
    log: say,
  });
  results.idle = r;
  reportIdle(r, say);
}
if (json) console.log(JSON.stringify(results, null, 2));
else say(`\nmachine: ${JSON.stringify(results.machine)}`);

async function machine(): Promise<Record<string, unknown>> {
  const os = await import("node:os");
  return {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}
