import { parseArgs } from "node:util";
import { benchLatency, type LatencyResult } from "./latency.js";
import { benchRecovery, type RecoveryResult } from "./recovery.js";
import type { ScaleModelResult } from "./scaleModel.js";
import { round } from "./support/stats.js";
import { renderTable } from "./support/table.js";
import { benchThroughput, type ThroughputResult } from "./throughput.js";

const usage = `pnpm bench [--json] [--messages N] [--only throughput,latency,recovery,reaction,scale,rate]

Runs the benchmarks against a fresh local cloud each and prints one table per benchmark.
  --messages N   messages per throughput run (default 20000)
  --samples N    latency samples (default 200)
  --trials N     recovery trials (default 3)
  --rounds N     throughput rounds, each contender once per round in rotated order (default 3)
  --sizes LIST   scale model sizes, QUEUESxTOKENS (default 100x1000,300x3000,1000x5000)
  --rest-loops N idle loops for the scale model's at-rest costs (default 20)
  --rest-seconds N how long they are counted (default 90)
  --only LIST    a comma-separated subset (reaction: time to maxLoops on a spike; scale: the scale model)
  --json         print one JSON document instead of tables`;

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    messages: { type: "string", default: "20000" },
    samples: { type: "string", default: "200" },
    trials: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    sizes: { type: "string", default: "100x1000,300x3000,1000x5000" },
    "rest-loops": { type: "string", default: "20" },
    "rest-seconds": { type: "string", default: "90" },
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
const sizes = values.sizes.split(",").map((raw) => {
  const match = /^(\d+)x(\d+)$/.exec(raw.trim());
  if (!match) {
    console.error(`error: --sizes takes QUEUESxTOKENS entries, got '${raw}'\n\n${usage}`);
    process.exit(2);
  }
  return { queues: wholeNumber("sizes", match[1] ?? ""), tokens: wholeNumber("sizes", match[2] ?? "") };
});
const known = ["throughput", "latency", "recovery", "reaction", "scale", "rate"];
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
} = { machine: await machine() };
const say = (text: string) => {
  if (!values.json) console.log(text);
};

if (only.has("throughput")) {
  say(`throughput: draining ${messages} messages four ways, ${rounds} round(s) ...`);
  const t = await benchThroughput(messages, rounds);
  results.throughput = t;
  const raw = t.contenders[0]?.msgsPerSec ?? Number.NaN;
  const consumer = t.contenders[1]?.msgsPerSec ?? Number.NaN;
  say(
    renderTable(
      ["contender", "seconds", "msgs/s (median)", "min-max", "vs raw", "vs sqs-consumer"],
      t.contenders.map((c) => [
        c.name,
        round(c.seconds, 2),
        Math.round(c.msgsPerSec),
        `${Math.round(c.min)}-${Math.round(c.max)}`,
        round(c.msgsPerSec / raw, 2),
        round(c.msgsPerSec / consumer, 2),
      ]),
    ),
  );
  say(`\ncost per million messages (dispatcher, 4 loops, no-op handler at 128 MB):`);
  say(
    renderTable(
      ["item", "per million messages"],
      [
        ...Object.entries(t.cost.requests)
          .sort()
          .map(([k, n]) => [`${k} requests`, n]),
        ["handler GB-s", round(t.cost.handlerGbSeconds, 1)],
        ["poller GB-s", round(t.cost.pollerGbSeconds, 1)],
        ["$ SQS", round(t.cost.dollars.sqs, 3)],
        ["$ Lambda requests", round(t.cost.dollars.lambdaRequests, 3)],
        ["$ Lambda compute", round(t.cost.dollars.lambdaCompute, 3)],
        ["$ DynamoDB", round(t.cost.dollars.dynamodb, 3)],
        ["$ total", round(t.cost.dollars.total, 3)],
      ],
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
  const { benchScaleModel } = await import("./scaleModel.js");
  say(
    `\nscale model: restart and route reads at ${sizes.map((z) => `${z.queues}/${z.tokens}`).join(", ")} queues/tokens ...`,
  );
  const m = await benchScaleModel(sizes, { restLoops, restSeconds, log: say });
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
  say(`\nrate limit: maxRate 50 and 500 msg/s, 2 loops, messages drained over a minute ...`);
  const r = await benchRateLimit();
  results.rate = r;
  say(
    renderTable(
      ["maxRate msg/s", "measured msg/s", "error %", "loops", "window s"],
      r.rates.map((x) => [x.maxRate, round(x.measured, 1), round(x.errorPct, 1), r.loops, r.windowSec]),
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
