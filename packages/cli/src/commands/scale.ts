import { addLoops, dedicatedTokens, limitedRoute, removeLoops, systemClock } from "@sqs-dispatcher/core";
import type { Command } from "commander";
import { z } from "zod";
import { CommandFailedError, UsageError } from "../cliErrors.js";
import { loopStarterFor } from "../context.js";
import { globalFlags, intFlag, queueArg } from "../flags.js";
import { json } from "../format.js";
import type { RunAction } from "./action.js";

const scaleSchema = z.strictObject({ ...globalFlags, queue: queueArg, loops: intFlag(0) });

/** Registers `scale <queue> --loops N`. */
export function registerScale(program: Command, run: RunAction): void {
  program
    .command("scale")
    .argument("<queue>", "a routed queue")
    .requiredOption("--loops <n>", "the number of loops to run, within the route's minLoops-maxLoops")
    .description("set a queue's loop count by hand: new tokens start loops, removed tokens end theirs")
    .addHelpText(
      "after",
      `
Added loops are started at once by invoking the poller asynchronously; a removed
token's loop ends at its next heartbeat. Alarm scaling and restart's reconcile keep
acting afterwards, always within the route's bounds.

Examples:
  $ pnpm dispatcher scale orders --loops 3 --local
  $ pnpm dispatcher scale orders --loops 1 --stage prod --json`,
    )
    .action(
      run(scaleSchema, async ({ flags, context, io }) => {
        const stored = await context.routes.get(flags.queue);
        if (stored === undefined) throw new CommandFailedError(`no route for queue '${flags.queue}'`);
        // Within the registry's loop limits, as restart and scale-up hold the route to them.
        const route = await limitedRoute(context.routes, stored, context.registry.limits);
        if (flags.loops < route.minLoops || flags.loops > route.maxLoops) {
          throw new UsageError(
            `--loops: ${flags.loops} is outside the route's bounds ${route.minLoops}-${route.maxLoops}${route.clamped ? ` (${route.clamped})` : ""} (change them with 'routes set ${flags.queue} --min-loops/--max-loops')`,
          );
        }
        const before = dedicatedTokens(await context.leases.listByQueue(route.queueUrl)).length;
        let started: string[] = [];
        let removed: string[] = [];
        let startFailed: string[] = [];
        if (flags.loops > before) {
          const result = await addLoops(
            { leases: context.leases, starter: loopStarterFor(context), clock: systemClock },
            route.queueUrl,
            flags.loops - before,
          );
          started = result.started.map((e) => e.token);
          startFailed = result.startFailed.map((f) => f.event.token);
        } else if (flags.loops < before) {
          removed = (
            await removeLoops({ leases: context.leases }, route.queueUrl, before - flags.loops, {
              floor: flags.loops,
            })
          ).map((k) => k.token);
        }
        const after = dedicatedTokens(await context.leases.listByQueue(route.queueUrl)).length;
        if (flags.json) {
          io.stdout.write(json({ queue: flags.queue, before, after, started, removed, startFailed }));
        } else {
          io.stdout.write(
            `${flags.queue}: ${before} -> ${after} loop(s)` +
              (started.length ? `, started ${started.length}` : "") +
              (removed.length ? `, stopped ${removed.length}` : "") +
              "\n",
          );
        }
        if (startFailed.length > 0) {
          // The tokens exist, so restart claims and starts them after its start grace.
          throw new CommandFailedError(
            `${startFailed.length} loop(s) could not be started now (poller '${context.names.poller}'); restart will start them`,
          );
        }
      }),
    );
}
