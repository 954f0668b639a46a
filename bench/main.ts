import { parseArgs } from "node:util";
import { defaultSharedQueuesPerLoop } from "@sqs-dispatcher/config";
import { defaultIdleSizes, type IdleResult } from "./idleRoutes.js";
import { benchLatency, type LatencyResult } from "./latency.js";
import { benchRecovery, type RecoveryResult } from "./recovery.js";
import type { ScaleModelResult } from "./scaleModel.js";
import type { SlowHandlerSweepResult } from "./slowHandlerSweep.js";
import { defaultRouteConcurrency } from "./support/benchPlatform.js";
import { round } from "./support/stats.js";
import { renderTable } from "./support/table.js";
import { benchTargets } from "./targets.js";
import { benchThroughput, Contender, type ThroughputResult } from "./throughput.js";

// The project runs on Node 20 (package.json "engines"): the SDK's "needs Node 22 later" warning would repeat in every function's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** The concurrencies the sweep runs one loop at (the route's range is 1-10). */
const sweepConcurrencies = [1, 2, 4, 8, 10];

const usage = `pnpm bench [--json] [--messages N] [--rounds N] [--only throughput,concurrency,latency,recovery,reaction,scale,rate,idle]

Runs the benchmarks against a fresh local cloud each and prints tables.
  throughput    one dispatcher loop at the default concurrency and at concurrency 1 against a raw
                ReceiveMessage(10)+DeleteMessageBatch loop, sqs-consumer 14 as its users run it
                (no-op handler in-process, its own process) and sqs-consumer invoking the same
                no-op Lambda; DynamoDB writes per 1,000 messages; cost per million messages
  concurrency   one dispatcher loop at concurrency ${sweepConcurrencies.join(", ")} (runs with throughput
                in the same rounds when both are asked for), then again with a handler that takes
                50 ms per batch (a tenth of --messages per run)
  latency       send → handler start on an idle queue
  recovery      a killed poller: back by Lambda's retry, or replaced by restart
  reaction      a spike: time to maxLoops in alarm and depth mode
  scale         the scale model: restart's cycle and route reads at several sizes (docs/scale.md)
  rate          maxRate accuracy at 50 and 500 msg/s
  idle          quiet routes at rest (minLoops 0, shared loops, default settings): pollers running
                (AWS/Lambda ConcurrentExecutions), billed GB-s, SQS requests and DynamoDB writes per
                hour, the price of a quiet queue-month, and first-message latency
  --messages N   messages per throughput/concurrency drain and per scale spike (default 20000)
  --samples N    latency samples (default 200)
  --trials N     recovery trials (default 3)
  --rounds N     throughput rounds, each contender once per round in rotated order (default 3)
  --sizes LIST   scale model sizes, QUEUESxTOKENS (default 100x1000,300x3000,1000x5000)
  --rest-loops N idle loops for the scale model's at-rest costs (default 20)
  --rest-seconds N how long they are counted (default 90)
  --rate-seconds N how long each rate is measured (default 60)
  --idle-sizes LIST quiet routes per idle run (default ${defaultIdleSizes.join(",")})
  --idle-seconds N how long the idle runs are counted (default 180)
  --idle-samples N first messages per idle run, each on another quiet queue (default 7)
  --idle-per-loop N poller.sharedQueuesPerLoop for the idle runs (default: the registry's, ${defaultSharedQueuesPerLoop})
  --only LIST    a comma-separated subset (default all)
  --json         print one JSON document instead of tables`;

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    messages: { type: "string", default: "20000" },
    samples: { type: "string", default: "200" },
    trials: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    sizes: { type: "string" },
    "rest-loops": { type: "string", default: "20" },
    "rest-seconds": { type: "string", default: "90" },
    "rate-seconds": { type: "string", default: "60" },
    "idle-sizes": { type: "string" },
    "idle-seconds": { type: "string", default: "180" },
    "idle-samples": { type: "string", default: "7" },
    "idle-per-loop": { type: "string" },
    only: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const wholeNumber = (name: string, raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`error: --${name} must be a whole number of at least 1, got '${raw}'\n\n${usage}`);
    process.exit(2);
  }
  return n;
};
const messages = wholeNumber("messages", values.messages);
const samples = wholeNumber("samples", values.samples);
const trials = wholeNumber("trials", values.trials);
const rounds = wholeNumber("rounds", values.rounds);
const restLoops = wholeNumber("rest-loops", values["rest-loops"]);
const restSeconds = wholeNumber("rest-seconds", values["rest-seconds"]);
const rateSeconds = wholeNumber("rate-seconds", values["rate-seconds"]);
const idleSeconds = wholeNumber("idle-seconds", values["idle-seconds"]);
const idleSamples = wholeNumber("idle-samples", values["idle-samples"]);
const idlePerLoop =
  values["idle-per-loop"] === undefined ? undefined : wholeNumber("idle-per-loop", values["idle-per-loop"]);
/** `--idle-sizes` as given (at least 2 routes: one warms the handler), else `defaultIdleSizes`. */
const idleSizes =
  values["idle-sizes"]?.split(",").map((raw) => {
    const n = wholeNumber("idle-sizes", raw.trim());
    if (n < 2) {
      console.error(`error: --idle-sizes takes at least 2 routes per run, got '${raw}'\n\n${usage}`);
      process.exit(2);
    }
    return n;
  }) ?? defaultIdleSizes;
/** `--sizes` as given; the scale model's own defaults (`defaultScaleSizes`) when it is not. */
const sizes = values.sizes?.split(",").map((raw) => {
  const match = /^(\d+)x(\d+)$/.exec(raw.trim());
  if (!match) {
    console.error(`error: --sizes takes QUEUESxTOKENS entries, got '${raw}'\n\n${usage}`);
    process.exit(2);
  }
  return { queues: wholeNumber("sizes", match[1] ?? ""), tokens: wholeNumber("sizes", match[2] ?? "") };
});
const known: readonly string[] = benchTargets;
const only = new Set(values.only ? values.only.split(",") : known);
for (const name of only) {
  if (!known.includes(name)) {
    console.error(`error: unknown benchmark '${name}' (known: ${known.join(", ")})`);
    process.exit(2);
  }
}

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
/** A dispatcher contender the head-to-head shows (the default concurrency and 1); the sweep shows the rest. */
const sweepless = (id: string) =>
  id === Contender.dispatcher(defaultRouteConcurrency) || id === Contender.dispatcher(1);
const say = (text: string) => {
  if (!values.json) console.log(text);
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
  const rate = (id: string) => t.contenders.find((c) => c.id === id)?.msgsPerSec ?? Number.NaN;
  const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? round(a / b, 2) : "-");
  const raw = rate(Contender.Raw);
  const consumer = rate(Contender.ConsumerInProcess);
  if (only.has("throughput")) {
    say(`\nhead-to-head (median of ${rounds}; same queue service, same observer):`);
    say(
      renderTable(
        ["contender", "msgs/s", "min-max", "vs raw", "vs sqs-consumer in-process"],
        t.contenders
          .filter((c) => !c.id.startsWith("dispatcher-") || sweepless(c.id))
          .map((c) => [
            c.name,
            Math.round(c.msgsPerSec),
            `${Math.round(c.min)}-${Math.round(c.max)}`,
            ratio(c.msgsPerSec, raw),
            ratio(c.msgsPerSec, consumer),
          ]),
      ),
    );
    const loop = rate(Contender.dispatcher(defaultRouteConcurrency));
    say(
      `goal: one loop at the default concurrency >= 1.2x sqs-consumer (${ratio(loop, consumer)}x) and >= 0.7x raw (${ratio(loop, raw)}x)`,
    );
  }
  if (only.has("concurrency")) {
    const one = rate(Contender.dispatcher(1));
    say(`\nconcurrency sweep, one loop (median of ${rounds}):`);
    say(
      renderTable(
        ["concurrency", "msgs/s", "min-max", "vs concurrency 1", "vs raw", "vs sqs-consumer in-process"],
        t.contenders
          .filter((c) => c.id.startsWith("dispatcher-"))
          .map((c) => [
            c.id.slice("dispatcher-c".length) +
              (c.id === Contender.dispatcher(defaultRouteConcurrency) ? " (default)" : ""),
            Math.round(c.msgsPerSec),
            `${Math.round(c.min)}-${Math.round(c.max)}`,
            ratio(c.msgsPerSec, one),
            ratio(c.msgsPerSec, raw),
            ratio(c.msgsPerSec, consumer),
          ]),
      ),
    );
  }
  say(
    `\nDynamoDB writes under load (one loop; renewEverySec ${t.renewEverySec} as on AWS; every write the edge served while the loop drained; goal <= 5 per 1,000 messages):`,
  );
  say(
    renderTable(
      ["concurrency", "messages", "loop seconds", "writes", "per 1,000 messages"],
      t.leaseWrites.map((w) => [
        w.concurrency,
        w.messages,
        round(w.loopSeconds, 1),
        w.writes,
        round(w.writesPer1000Messages, 3),
      ]),
    ),
  );
  if (t.cost) {
    const c = t.cost;
    say(
      `\ncost per million messages (one loop, concurrency ${c.concurrency}, batch size 10, no-op handler at 128 MB; goal <= $0.10):`,
    );
    say(
      renderTable(
        ["item", "per million messages"],
        [
          ...Object.entries(c.requests)
            .sort()
            .map(([k, n]) => [`${k} requests`, n]),
          ["handler GB-s", round(c.handlerGbSeconds, 1)],
          ["poller GB-s", round(c.pollerGbSeconds, 1)],
          ["$ SQS", round(c.dollars.sqs, 3)],
          ["$ Lambda requests", round(c.dollars.lambdaRequests, 3)],
          ["$ Lambda compute", round(c.dollars.lambdaCompute, 3)],
          ["$ DynamoDB", round(c.dollars.dynamodb, 4)],
          ["$ total", round(c.dollars.total, 3)],
        ],
      ),
    );
  }
}
if (only.has("concurrency")) {
  const { benchSlowHandlerSweep } = await import("./slowHandlerSweep.js");
  const slowMessages = Math.max(200, Math.round(messages / 10));
  say(
    `\nconcurrency sweep with a 50 ms handler: one loop, ${slowMessages} messages per run, ${rounds} round(s) ...`,
  );
  const sweep = await benchSlowHandlerSweep(sweepConcurrencies, slowMessages, rounds);
  results.slowHandlerSweep = sweep;
  const one = sweep.runs.find((r) => r.concurrency === 1)?.msgsPerSec ?? Number.NaN;
  say(
    renderTable(
      ["concurrency", "msgs/s", "min-max", "vs concurrency 1"],
      sweep.runs.map((r) => [
        `${r.concurrency}${r.concurrency === defaultRouteConcurrency ? " (default)" : ""}`,
        Math.round(r.msgsPerSec),
        `${Math.round(r.min)}-${Math.round(r.max)}`,
        round(r.msgsPerSec / one, 2),
      ]),
    ),
  );
}
if (only.has("latency")) {
  say(`\nlatency: ${samples} messages on an idle queue, send → handler start ...`);
  const l = await benchLatency(samples);
  results.latency = l;
  say(renderTable(["samples", "p50 ms", "p99 ms", "max ms"], [[l.samples, l.p50Ms, l.p99Ms, l.maxMs]]));
}
if (only.has("recovery")) {
  say(`\nrecovery: ${trials} killed pollers, time to the replacement's first heartbeat ...`);
  const r = await benchRecovery(trials);
  results.recovery = r;
  say(
    renderTable(
      [
        "trials",
        "stale after s",
        "restart every s",
        "one kill: back in s",
        "killed for good: replaced in s (median/max)",
      ],
      [
        [
          r.trials,
          r.staleAfterSec,
          r.restartIntervalSec,
          round(r.retriedMedianSec, 2),
          `${round(r.replacedMedianSec, 2)} / ${round(r.replacedMaxSec, 2)}`,
        ],
      ],
    ),
  );
}
if (only.has("reaction")) {
  const { benchScaleReaction } = await import("./scaleReaction.js");
  say(`\nscale reaction: a ${messages}-message spike, time to maxLoops ...`);
  const s = await benchScaleReaction(messages);
  results.reaction = s;
  say(
    renderTable(
      ["mode", "seconds to maxLoops", "maxLoops"],
      s.modes.map((m) => [m.mode, round(m.seconds, 1), m.maxLoops]),
    ),
  );
}
if (only.has("scale")) {
  const { benchScaleModel, defaultScaleSizes } = await import("./scaleModel.js");
  const scaleSizes = sizes ?? defaultScaleSizes;
  say(
    `\nscale model: restart and route reads at ${scaleSizes.map((z) => `${z.queues}/${z.tokens}`).join(", ")} queues/tokens ...`,
  );
  const m = await benchScaleModel(scaleSizes, { restLoops, restSeconds, log: say });
  results.scale = m;
  const ops = (r: Record<string, number>, ...keys: string[]) => keys.map((k) => r[k] ?? 0).join(" / ");
  say(
    renderTable(
      [
        "queues",
        "tokens",
        "all stale: s",
        "claims/s",
        "left",
        "none stale: s",
        "registry change: s",
        "all stale: Scan / UpdateItem / Invoke",
        "none stale: Scan / Query",
      ],
      m.sizes.map((z) => [
        z.queues,
        z.tokens,
        round(z.allStale.seconds, 2),
        Math.round(z.allStale.claimed / z.allStale.seconds),
        z.allStale.left.claims,
        round(z.noneStale.seconds, 2),
        round(z.afterRegistryChange.seconds, 2),
        ops(z.allStale.requests, "dynamodb:Scan", "dynamodb:UpdateItem", "lambda:Invoke"),
        ops(z.noneStale.requests, "dynamodb:Scan", "dynamodb:Query"),
      ]),
    ),
  );
  const r = m.atRest;
  say(
    `\nat rest (${r.loops} idle loops, ${round(r.seconds, 0)} s; wait ${r.waitTimeSec} s, renew ${r.renewEverySec} s, route TTL ${r.routeCacheTtlSec} s, poller timeout ${r.pollerTimeoutSec} s):`,
  );
  say(
    renderTable(
      ["request", "per loop-hour"],
      Object.entries(r.perLoopHour)
        .sort()
        .map(([k, v]) => [k, Math.round(v)]),
    ),
  );
  say(`route reads per second per loop: ${round(r.routeReadsPerSecPerLoop, 3)}`);
}
if (only.has("rate")) {
  const { benchRateLimit } = await import("./rateLimit.js");
  say(`\nrate limit: maxRate 50 and 500 msg/s, 2 loops, messages drained over ${rateSeconds} s ...`);
  const r = await benchRateLimit(rateSeconds);
  results.rate = r;
  say(
    renderTable(
      ["maxRate msg/s", "measured msg/s", "error %", "loops", "window s"],
      r.rates.map((x) => [x.maxRate, round(x.measured, 1), round(x.errorPct, 1), r.loops, r.windowSec]),
    ),
  );
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
  const z0 = r.sizes[0];
  say(
    `\nquiet routes at rest (minLoops 0, idle shared, default settings: poller timeout ${r.pollerTimeoutSec} s, sharedQueuesPerLoop ${z0?.sharedQueuesPerLoop}, poller ${z0?.pollerMemoryMb} MB):`,
  );
  say(
    renderTable(
      [
        "routes",
        "groups",
        "pollers running p50 / max",
        "poller GB-s/h",
        "SQS req/h",
        "DynamoDB writes/h",
        "DynamoDB reads/h",
        "SSM reads/h",
        "$ per quiet queue-month",
        "first message ms median / worst",
        "not handled",
        "cold handler ms",
        "load 1 min",
      ],
      r.sizes.map((z) => [
        z.routes,
        z.groups,
        `${z.running.p50} / ${z.running.max}`,
        Math.round(z.perHour.pollerGbSeconds),
        Math.round(z.perHour.sqsRequests),
        Math.round(z.perHour.dynamoWrites),
        Math.round(z.perHour.dynamoReads),
        Math.round(z.perHour.ssmReads),
        round(z.perQueueMonth.total, 3),
        `${z.firstMessage.medianMs} / ${z.firstMessage.maxMs}`,
        `${z.firstMessage.notHandled} of ${z.firstMessages.length}`,
        z.cold.ms ?? "not handled",
        `${round(z.load.atWindow, 1)}-${round(z.load.atEnd, 1)}`,
      ]),
    ),
  );
  say("\nper quiet queue-month, by what it pays for (goal: total <= $0.50):");
  say(
    renderTable(
      ["routes", "Lambda compute", "Lambda requests", "SQS", "DynamoDB", "total"],
      r.sizes.map((z) => [
        z.routes,
        round(z.perQueueMonth.lambdaCompute, 3),
        round(z.perQueueMonth.lambdaRequests, 4),
        round(z.perQueueMonth.sqs, 3),
        round(z.perQueueMonth.dynamodb, 4),
        round(z.perQueueMonth.total, 3),
      ]),
    ),
  );
}
if (values.json) console.log(JSON.stringify(results, null, 2));
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
