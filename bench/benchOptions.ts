import { parseArgs } from "node:util";
import { defaultSharedQueuesPerLoop } from "@sqs-dispatcher/config";
import { defaultIdleSizes } from "./idleRoutes.js";
import { benchTargets } from "./targets.js";

/** The concurrencies the sweep runs one loop at (the route's range is 1-10). */
export const sweepConcurrencies = [1, 2, 4, 8, 10];

export const usage = `pnpm bench [--json] [--messages N] [--rounds N] [--only throughput,concurrency,latency,recovery,reaction,scale,rate,idle]

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

/** What `pnpm bench` was asked to run, and at what size. */
export interface BenchOptions {
  json: boolean;
  messages: number;
  samples: number;
  trials: number;
  rounds: number;
  restLoops: number;
  restSeconds: number;
  rateSeconds: number;
  idleSeconds: number;
  idleSamples: number;
  idlePerLoop: number | undefined;
  /** `--idle-sizes` as given (at least 2 routes: one warms the handler), else `defaultIdleSizes`. */
  idleSizes: readonly number[];
  /** `--sizes` as given; the scale model's own defaults (`defaultScaleSizes`) when it is not. */
  sizes: { queues: number; tokens: number }[] | undefined;
  /** The targets to run (bench/targets.ts). */
  only: Set<string>;
}

/**
 * Reads the command line: prints the usage and exits 0 on `--help`, prints the error and the
 * usage and exits 2 on a bad value or an unknown target.
 */
export function readBenchOptions(): BenchOptions {
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
  const idleSizes =
    values["idle-sizes"]?.split(",").map((raw) => {
      const n = wholeNumber("idle-sizes", raw.trim());
      if (n < 2) {
        console.error(`error: --idle-sizes takes at least 2 routes per run, got '${raw}'\n\n${usage}`);
        process.exit(2);
      }
      return n;
    }) ?? defaultIdleSizes;
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
  return {
    json: values.json,
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
  };
}
