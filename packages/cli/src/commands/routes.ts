import { ConfigValidationError, parseRoute, type Route, type RouteInput } from "@sqs-dispatcher/config";
import {
  createSqsQueueClient,
  createSqsQueueDirectory,
  InvalidStoredRouteError,
  removeLoops,
} from "@sqs-dispatcher/core";
import type { Command } from "commander";
import { z } from "zod";
import { CommandFailedError, UsageError } from "../cliErrors.js";
import type { CliContext } from "../context.js";
import { globalFlags, intFlag, queueArg, routeRefusal } from "../flags.js";
import { json, table } from "../format.js";
import type { CliIo } from "../io.js";
import type { RunAction } from "./action.js";

const listSchema = z.strictObject({ ...globalFlags });
const showSchema = z.strictObject({ ...globalFlags, queue: queueArg });
const rmSchema = showSchema;
const setSchema = z.strictObject({
  ...globalFlags,
  queue: queueArg,
  function: z.string().min(1).optional(),
  batchSize: intFlag(1, 10_000).optional(),
  batchWindow: intFlag(0, 300).optional(),
  concurrency: intFlag(1, 10).optional(),
  minLoops: intFlag(0).optional(),
  maxLoops: intFlag(1).optional(),
  scaleStep: intFlag(1).optional(),
  paused: z.boolean().optional(),
});

/** The registry name of a stored function name, for display; the stored name when none matches. */
function registryNameOf(context: CliContext, functionName: string): string {
  return (
    Object.keys(context.registry.functions).find((n) => context.names.functionName(n) === functionName) ??
    functionName
  );
}

function routeRows(context: CliContext, routes: readonly Route[]): string[][] {
  return routes.map((r) => [
    r.queueName,
    registryNameOf(context, r.functionName),
    r.batchWindowSec > 0 ? `${r.batchSize}/${r.batchWindowSec}s` : String(r.batchSize),
    String(r.concurrency),
    `${r.minLoops}-${r.maxLoops}`,
    String(r.scaleStep),
    r.paused ? "yes" : "no",
    r.source,
    r.updatedAt > 0 ? new Date(r.updatedAt).toISOString() : "-",
  ]);
}

const routeHeader = [
  "QUEUE",
  "FUNCTION",
  "BATCH",
  "CONCURRENCY",
  "LOOPS",
  "STEP",
  "PAUSED",
  "SOURCE",
  "UPDATED",
];

function printRoutes(io: CliIo, context: CliContext, asJson: boolean, routes: readonly Route[]): void {
  if (asJson) io.stdout.write(json({ routes }));
  else if (routes.length === 0) io.stdout.write("no routes\n");
  else io.stdout.write(table(routeHeader, routeRows(context, routes)));
}

/**
 * Refuses what the registry schema refuses for a created queue, before anything is written: a queue
 * whose visibility timeout is shorter than its handler's timeout, which Lambda's event source refuses too.
 * The queue exists already here, so its actual `VisibilityTimeout` is what counts.
 */
async function refuseShortVisibility(
  context: CliContext,
  flagFunction: string | undefined,
  existing: Route | undefined,
  queueName: string,
  queueUrl: string,
  batchWindowSec: number,
): Promise<void> {
  const functionKey =
    flagFunction ??
    Object.keys(context.registry.functions).find(
      (name) => context.names.functionName(name) === existing?.functionName,
    );
  const fn = functionKey === undefined ? undefined : context.registry.functions[functionKey];
  // A route whose function left the registry: parseRoute and the deploy say so; there is no timeout to compare.
  if (functionKey === undefined || fn === undefined) return;
  const visibilityTimeoutSec = await createSqsQueueClient(context.sqs).visibilityTimeoutSec?.(queueUrl);
  if (visibilityTimeoutSec === undefined) return;
  if (visibilityTimeoutSec < fn.timeoutSec) {
    // The wording of the registry schema's rule (packages/config/src/schema.ts).
    throw new UsageError(
      `<queue>: queue visibility timeout (${visibilityTimeoutSec}s) must be at least the timeout of function '${functionKey}' (${fn.timeoutSec}s), as Lambda requires`,
      { queueName, queueUrl, visibilityTimeoutSec, function: functionKey, timeoutSec: fn.timeoutSec },
    );
  }
  if (batchWindowSec > 0 && visibilityTimeoutSec < fn.timeoutSec + batchWindowSec) {
    throw new UsageError(
      `--batch-window: a batching window of ${batchWindowSec}s plus the timeout of function '${functionKey}' (${fn.timeoutSec}s) does not fit the queue's visibility timeout (${visibilityTimeoutSec}s): shorten the window or raise the queue's visibility timeout to at least ${fn.timeoutSec + batchWindowSec}`,
      { queueName, queueUrl, visibilityTimeoutSec, function: functionKey, batchWindowSec },
    );
  }
}

/** Registers `routes list | show | set | rm`. */
export function registerRoutes(program: Command, run: RunAction): void {
  const routes = program
    .command("routes")
    .description("list, show, set and remove the routes that map queues to handler functions")
    .addHelpText(
      "after",
      `
Examples:
  $ pnpm dispatcher routes list --local
  $ pnpm dispatcher routes set orders --function record --max-loops 4 --local
  $ pnpm dispatcher routes rm orders --stage prod`,
    );

  routes
    .command("list")
    .description("list every stored route")
    .addHelpText("after", "\nExamples:\n  $ pnpm dispatcher routes list --local --json\n")
    .action(
      run(listSchema, async ({ flags, context, io }) => {
        try {
          printRoutes(io, context, flags.json, await context.routes.list());
        } catch (error) {
          if (!(error instanceof InvalidStoredRouteError)) throw error;
          // Show what parses, then fail: a corrupt route needs `routes set` or `routes rm`.
          printRoutes(io, context, flags.json, error.valid);
          throw new CommandFailedError(
            `${error.message} (repair with 'routes set' or remove with 'routes rm')`,
          );
        }
      }),
    );

  routes
    .command("show")
    .argument("<queue>", "queue name")
    .description("show one queue's route")
    .addHelpText("after", "\nExamples:\n  $ pnpm dispatcher routes show orders --local\n")
    .action(
      run(showSchema, async ({ flags, context, io }) => {
        const route = await context.routes.get(flags.queue);
        if (route === undefined) throw new CommandFailedError(`no route for queue '${flags.queue}'`);
        if (flags.json) io.stdout.write(json(route));
        else io.stdout.write(table(routeHeader, routeRows(context, [route])));
      }),
    );

  routes
    .command("set")
    .argument("<queue>", "queue name (the queue must exist)")
    .description("create or edit a route at run time; takes effect within the poller's route cache TTL")
    .option("--function <name>", "registry function that handles the queue's batches")
    .option(
      "--batch-size <n>",
      "records per handler invocation (1-10; up to 10,000 on a standard queue with --batch-window)",
    )
    .option("--batch-window <sec>", "seconds to gather receives into one batch (0-300; standard queues only)")
    .option("--concurrency <n>", "batches in the handler at once per loop (1-10)")
    .option("--min-loops <n>", "loops restart keeps running at least")
    .option("--max-loops <n>", "loops scaling may grow to")
    .option("--scale-step <n>", "loops added per scale-up")
    .option("--paused", "stop receiving (loops stay, messages wait)")
    .option("--no-paused", "resume receiving")
    .addHelpText(
      "after",
      `
A route written here is marked source "edit": a later deploy keeps it instead of
resetting it to dispatcher.config.ts, unless the deploy is forced (pnpm dev --reset-routes; DISPATCHER_RESET_ROUTES=1 pnpm sst deploy on AWS).
Unset flags keep the route's current values (or the schema defaults for a new route).

Examples:
  $ pnpm dispatcher routes set orders --function record --local
  $ pnpm dispatcher routes set orders --function powertoolsRecord --batch-size 5 --max-loops 8 --local
  $ pnpm dispatcher routes set orders --concurrency 8 --local
  $ pnpm dispatcher routes set logs --batch-size 500 --batch-window 5 --local
  $ pnpm dispatcher routes set orders --paused --stage prod`,
    )
    .action(
      run(setSchema, async ({ flags, context, io }) => {
        const functions = Object.keys(context.registry.functions);
        if (flags.function !== undefined && !functions.includes(flags.function)) {
          throw new UsageError(
            `--function: '${flags.function}' is not a function of the registry (functions: ${functions.join(", ") || "none"})`,
          );
        }
        let existing: Route | undefined;
        try {
          existing = await context.routes.get(flags.queue);
        } catch (error) {
          // A corrupt stored route is what `set` repairs: treat it as absent.
          if (!(error instanceof InvalidStoredRouteError)) throw error;
        }
        if (existing === undefined && flags.function === undefined) {
          throw new UsageError(`--function: required for queue '${flags.queue}', which has no route yet`);
        }
        const queueUrl =
          existing?.queueUrl ?? (await createSqsQueueDirectory({ sqs: context.sqs }).queueUrl(flags.queue));
        if (queueUrl === undefined) {
          throw new CommandFailedError(`queue '${flags.queue}' does not exist; create it first`);
        }
        await refuseShortVisibility(
          context,
          flags.function,
          existing,
          flags.queue,
          queueUrl,
          flags.batchWindow ?? existing?.batchWindowSec ?? 0,
        );
        const candidate: RouteInput = {
          ...existing,
          queueName: flags.queue,
          queueUrl,
          functionName:
            flags.function !== undefined
              ? context.names.functionName(flags.function)
              : (existing?.functionName ?? ""),
          ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
          ...(flags.batchWindow !== undefined ? { batchWindowSec: flags.batchWindow } : {}),
          ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
          ...(flags.minLoops !== undefined ? { minLoops: flags.minLoops } : {}),
          ...(flags.maxLoops !== undefined ? { maxLoops: flags.maxLoops } : {}),
          ...(flags.scaleStep !== undefined ? { scaleStep: flags.scaleStep } : {}),
          ...(flags.paused !== undefined ? { paused: flags.paused } : {}),
          source: "edit",
          updatedAt: Date.now(),
        };
        let route: Route;
        try {
          route = parseRoute(candidate);
        } catch (error) {
          if (error instanceof ConfigValidationError) throw routeRefusal(error);
          throw error;
        }
        await context.routes.put(route);
        if (flags.json) io.stdout.write(json(route));
        else {
          io.stdout.write(`route ${route.queueName} ${existing ? "updated" : "created"}:\n`);
          io.stdout.write(table(routeHeader, routeRows(context, [route])));
        }
      }),
    );

  routes
    .command("rm")
    .argument("<queue>", "queue name")
    .description("remove a queue's route and stop its loops; its messages stay in the queue")
    .addHelpText(
      "after",
      `
The route's tokens are deleted at once, so every loop ends at its next heartbeat
without receiving again. A route that dispatcher.config.ts declares comes back with
the next deploy: remove it from the registry to remove it for good.

Examples:
  $ pnpm dispatcher routes rm orders --local`,
    )
    .action(
      run(rmSchema, async ({ flags, context, io }) => {
        let queueUrl: string | undefined;
        try {
          queueUrl = (await context.routes.get(flags.queue))?.queueUrl;
        } catch (error) {
          if (!(error instanceof InvalidStoredRouteError)) throw error;
        }
        if (!(await context.routes.delete(flags.queue))) {
          throw new CommandFailedError(`no route for queue '${flags.queue}'`);
        }
        queueUrl ??= await createSqsQueueDirectory({ sqs: context.sqs }).queueUrl(flags.queue);
        const stopped =
          queueUrl === undefined
            ? []
            : await removeLoops({ leases: context.leases }, queueUrl, Number.POSITIVE_INFINITY, { floor: 0 });
        if (flags.json) io.stdout.write(json({ removed: flags.queue, stoppedLoops: stopped.length }));
        else io.stdout.write(`route ${flags.queue} removed; ${stopped.length} loop(s) stopped\n`);
      }),
    );
}
