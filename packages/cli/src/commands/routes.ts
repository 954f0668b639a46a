import {
  AwsLimits,
  ConfigValidationError,
  type FilterPattern,
  parseNoMatchAction,
  parseRoute,
  type Route,
  type RouteInput,
  routeConcurrencyMax,
} from "@sqs-dispatcher/config";
import { InvalidStoredRouteError, removeLoops } from "@sqs-dispatcher/core";
import { createSqsQueueDirectory } from "@sqs-dispatcher/core/aws";
import type { Command } from "commander";
import { z } from "zod";
import { CommandFailedError, UsageError } from "../cliErrors.js";
import { globalFlags, intFlag, numberFlag, queueArg, routeRefusal } from "../flags.js";
import { json, table } from "../format.js";
import { routeFunctionOf, storedRouteFunctionOf } from "../routeFunction.js";
import type { RunAction } from "./action.js";
import { refuseOutsideLimits, refuseShortVisibility } from "./routeSetChecks.js";
import { readFiltersFile, storedNoMatch } from "./routeSetFlags.js";
import { policyLine, printRoutes, routeHeader, routeRows } from "./routeTable.js";

const listSchema = z.strictObject({ ...globalFlags });
const showSchema = z.strictObject({ ...globalFlags, queue: queueArg });
const rmSchema = showSchema;
const setSchema = z.strictObject({
  ...globalFlags,
  queue: queueArg,
  function: z.string().min(1).optional(),
  batchSize: intFlag(1, AwsLimits.standardBatchMax).optional(),
  batchWindow: intFlag(0, AwsLimits.batchWindowMaxSec).optional(),
  concurrency: intFlag(1, routeConcurrencyMax).optional(),
  minLoops: intFlag(0).optional(),
  maxLoops: intFlag(1).optional(),
  scaleStep: intFlag(1).optional(),
  paused: z.boolean().optional(),
  /** A JSON file of filter patterns (`[]` removes the filters). */
  filters: z.string().min(1).optional(),
  onNoMatch: z
    .string()
    .refine(
      (text) => parseNoMatchAction(text) !== undefined,
      "must be 'delete', 'forward:<queue name>' or 'invoke:<function name>'",
    )
    .optional(),
  /** `--no-max-rate` (false) removes the limit. */
  maxRate: z.union([numberFlag(0), z.literal(false)]).optional(),
});

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
        else {
          io.stdout.write(table(routeHeader, routeRows(context, [route])));
          io.stdout.write(policyLine(context, route));
        }
      }),
    );

  routes
    .command("set")
    .argument("<queue>", "queue name (the queue must exist)")
    .description("create or edit a route at run time; takes effect within the poller's route cache TTL")
    .option(
      "--function <name>",
      "function that handles the queue's batches: a registry function, or a Lambda function name or ARN (qualified or not) that routableFunctions allows (locally: any function of the local cloud)",
    )
    .option(
      "--batch-size <n>",
      "records per handler invocation (1-10; up to 10,000 on a standard queue with --batch-window)",
    )
    .option("--batch-window <sec>", "seconds to gather receives into one batch (0-300; standard queues only)")
    .option("--concurrency <n>", "batches in the handler at once per loop (1-10)")
    .option("--min-loops <n>", "loops restart keeps running at least")
    .option(
      "--max-loops <n>",
      "loops scaling may grow to (at most the registry's limits.maxLoopsPerRoute, 50 by default)",
    )
    .option("--scale-step <n>", "loops added per scale-up")
    .option("--paused", "stop receiving (loops stay, messages wait)")
    .option("--no-paused", "resume receiving")
    .option("--filters <file>", "JSON file of Lambda FilterCriteria patterns ([] removes the filters)")
    .option(
      "--on-no-match <action>",
      "delete | forward:<queue> | invoke:<function>, for messages no filter matches",
    )
    .option("--max-rate <n>", "messages per second the route receives at most, across its loops")
    .option("--no-max-rate", "remove the route's rate limit")
    .addHelpText(
      "after",
      `
A route written here is marked source "edit": a later deploy keeps it instead of
resetting it to dispatcher.config.ts, unless the deploy is forced (pnpm dev --reset-routes; DISPATCHER_RESET_ROUTES=1 pnpm sst deploy on AWS).
Unset flags keep the route's current values (or the schema defaults for a new route).

Examples:
  $ pnpm dispatcher routes set orders --function record --local
  $ pnpm dispatcher routes set billing --function billing-handler --local
  $ pnpm dispatcher routes set billing --function arn:aws:lambda:eu-west-1:123456789012:function:billing:live --stage prod
  $ pnpm dispatcher routes set orders --function powertoolsRecord --batch-size 5 --max-loops 8 --local
  $ pnpm dispatcher routes set orders --concurrency 8 --local
  $ pnpm dispatcher routes set logs --batch-size 500 --batch-window 5 --local
  $ pnpm dispatcher routes set orders --paused --stage prod
  $ pnpm dispatcher routes set orders --filters orders-filters.json --on-no-match forward:orders-parked --local
  $ pnpm dispatcher routes set orders --on-no-match invoke:audit --local
  $ pnpm dispatcher routes set orders --max-rate 50 --local
  $ pnpm dispatcher routes set orders --no-max-rate --local`,
    )
    .action(
      run(setSchema, async ({ flags, context, io }) => {
        const target =
          flags.function === undefined ? undefined : await routeFunctionOf(context, flags.function);
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
          target ?? (existing && (await storedRouteFunctionOf(context, existing.functionName))),
          flags.queue,
          queueUrl,
          flags.batchWindow ?? existing?.batchWindowSec ?? 0,
        );
        const filters = flags.filters === undefined ? undefined : await readFiltersFile(flags.filters);
        const onNoMatch =
          flags.onNoMatch === undefined ? undefined : await storedNoMatch(context, flags.onNoMatch);
        const candidate: RouteInput = {
          ...existing,
          queueName: flags.queue,
          queueUrl,
          functionName: target?.stored ?? existing?.functionName ?? "",
          ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
          ...(flags.batchWindow !== undefined ? { batchWindowSec: flags.batchWindow } : {}),
          ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
          ...(flags.minLoops !== undefined ? { minLoops: flags.minLoops } : {}),
          ...(flags.maxLoops !== undefined ? { maxLoops: flags.maxLoops } : {}),
          ...(flags.scaleStep !== undefined ? { scaleStep: flags.scaleStep } : {}),
          ...(flags.paused !== undefined ? { paused: flags.paused } : {}),
          // Unchecked here on purpose: parseRoute below checks every pattern and names what it refuses.
          ...(filters !== undefined ? { filters: filters as FilterPattern[] } : {}),
          ...(onNoMatch !== undefined ? { onNoMatch } : {}),
          ...(typeof flags.maxRate === "number" ? { maxRate: flags.maxRate } : {}),
          source: "edit",
          updatedAt: Date.now(),
        };
        // An empty list and --no-max-rate remove the setting rather than store a no-op.
        if (filters?.length === 0) delete candidate.filters;
        if (flags.maxRate === false) delete candidate.maxRate;
        let route: Route;
        try {
          route = parseRoute(candidate);
        } catch (error) {
          if (error instanceof ConfigValidationError) throw routeRefusal(error);
          throw error;
        }
        await refuseOutsideLimits(context, route);
        await context.routes.put(route);
        if (flags.json) io.stdout.write(json(route));
        else {
          io.stdout.write(`route ${route.queueName} ${existing ? "updated" : "created"}:\n`);
          io.stdout.write(table(routeHeader, routeRows(context, [route])));
          io.stdout.write(policyLine(context, route));
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
