import { startConsoleServer } from "@sqs-dispatcher/console";
import { createCloudWatchMetricReader } from "@sqs-dispatcher/core/aws";
import type { Command } from "commander";
import { z } from "zod";
import { loopStarterFor } from "../context.js";
import { globalFlags, intFlag } from "../flags.js";
import type { RunAction } from "./action.js";

const consoleSchema = z.strictObject({ ...globalFlags, port: intFlag(0, 65_535).default(4568) });

/** CloudWatch's standard resolution: the period of the plotted datapoints on AWS. */
const awsPeriodSec = 60;
/** Locally the SQS metrics are sampled every few seconds (see the local console's period). */
const localPeriodSec = 10;

/** Resolves on Ctrl-C, SIGTERM or the abort signal. */
function untilStopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    if (signal?.aborted) return done();
    signal?.addEventListener("abort", done);
    if (!signal) {
      process.on("SIGINT", done);
      process.on("SIGTERM", done);
    }
  });
}

/** Registers `console [--port N]`. */
export function registerConsole(program: Command, run: RunAction): void {
  program
    .command("console")
    .option("--port <port>", "port on 127.0.0.1 (0 picks a free one)", "4568")
    .description("serve the web console on 127.0.0.1 against a stage (AWS) or the local cloud, until Ctrl-C")
    .addHelpText(
      "after",
      `
The page's data and actions go through this process with your credentials (the browser
never sees them): per queue, 15 minutes of depth, DLQ, loops, processed/failed per second
and handler p50/p99 (CloudWatch GetMetricData), the route's state, and confirmed pause,
resume, scale, DLQ peek and redrive. \`pnpm dev\` serves the same page on its admin port.

Examples:
  $ pnpm dispatcher console --stage prod --profile ops
  $ pnpm dispatcher console --local --port 0`,
    )
    .action(
      run(consoleSchema, async ({ flags, context, io }) => {
        const { target } = context;
        const server = await startConsoleServer({
          port: flags.port,
          logger: context.logger,
          deps: {
            stage: target.stage,
            target:
              target.kind === "local"
                ? `local cloud ${target.endpoint}`
                : `AWS ${target.region ?? "(default region)"}${target.profile ? ` profile ${target.profile}` : ""}`,
            cliFlags:
              target.kind === "local"
                ? `--endpoint ${target.endpoint}`
                : `--stage ${target.stage}${target.profile ? ` --profile ${target.profile}` : ""}`,
            status: context.status,
            routes: context.routes,
            leases: context.leases,
            starter: loopStarterFor(context),
            deadLetters: context.deadLetters,
            metrics: createCloudWatchMetricReader({ cloudwatch: context.cloudwatch }),
            periodSec: target.kind === "local" ? localPeriodSec : awsPeriodSec,
          },
        });
        io.stdout.write(`Console: ${server.loginUrl}  (stage ${target.stage}; Ctrl+C stops)\n`);
        try {
          await untilStopped(io.signal);
        } finally {
          await server.stop();
        }
      }),
    );
}
