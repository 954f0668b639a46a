import type { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { QueueUrlScope } from "@sqs-dispatcher/config";
import {
  createFilteredReceive,
  createFunctionInfoCache,
  createLoopShare,
  createPoller,
  createRateLimitedReceive,
  createRouteResolver,
  createSharedLoop,
  DispatcherError,
  defaultBackoff,
  type InvocationContext,
  isSharedLoopEvent,
  type LoopOutcome,
  LoopOutcomeStatus,
  type MetricsSink,
  type PollerDeps,
  type PollerEvent,
  SHARED_EXTRA_BATCHES,
  systemClock,
} from "@sqs-dispatcher/core";
import {
  createAwsClients,
  createDynamoLeaseStore,
  createEmfMetricsSink,
  createLambdaFunctionInfoReader,
  createLambdaFunctionInvoker,
  createLambdaLoopStarter,
  createSqsMessageForwarder,
  createSqsQueueClient,
} from "@sqs-dispatcher/core/aws";
import type { Context } from "aws-lambda";
import { EnvVar, optionalEnv, requireEnv } from "./runtime/environment.js";
import { asCoreLogger, createPowertoolsLogger } from "./runtime/functionLogger.js";
import {
  ownFunctionName,
  pollerSettingsFromEnv,
  sharedQueuesPerLoopFromEnv,
} from "./runtime/functionSettings.js";
import { pollerClientTimeouts } from "./runtime/pollerClientTimeouts.js";
import { describeDroppedEvent, parsePollerEvent, queueUrlScopeFromEnv } from "./runtime/pollerEvent.js";
import { routeStoreFromEnv } from "./runtime/routeStoreFromEnv.js";

/** The loop could not re-invoke itself: thrown so that Lambda's async retry runs the same event again. */
export class RecursionFailedError extends DispatcherError {
  override readonly name = "RecursionFailedError";
  constructor(readonly outcome: LoopOutcome) {
    super("the self-invoke failed until the invocation ran out of time; Lambda retries this event", {
      ...outcome,
    });
  }
}

/** The poller function's work: one invocation of a dedicated loop or of a shared loop, by its event. */
export interface PollerRunner {
  run(event: PollerEvent, context: InvocationContext): Promise<LoopOutcome>;
}

/** What the poller returns: the loop's outcome, or `dropped` for a malformed event. */
export type PollerResult = LoopOutcome | { status: "dropped"; issues: string[] };

/**
 * Builds the poller from the function's environment (once per cold start). `overrides` replace
 * single dependencies: the soak's deliberately broken poller swaps the SQS client this way (the
 * route policies still wrap its receive).
 */
export function pollerFromEnv(
  logger: PowertoolsLogger,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<PollerDeps> = {},
): PollerRunner {
  const settings = pollerSettingsFromEnv(env);
  const sharedQueuesPerLoop = sharedQueuesPerLoopFromEnv(env);
  // A route's function may be one the platform did not build, with a longer timeout than the
  // registry's: the poller's own timeout bounds every invoke it makes.
  const longestInvokeSec = Math.max(
    settings.maxHandlerTimeoutSec,
    Number(optionalEnv(EnvVar.PollerTimeoutSec, env) ?? 0),
  );
  const clients = createAwsClients({
    // A shared loop holds a long poll per member and may have a delete or visibility change in
    // flight for each, beside its extra batches' handler invokes (all to one host locally).
    maxSockets: Math.max(50, 2 * sharedQueuesPerLoop + 2 * SHARED_EXTRA_BATCHES + 10),
    requestTimeoutMs: pollerClientTimeouts({ ...settings, maxHandlerTimeoutSec: longestInvokeSec }),
  });
  const coreLogger = asCoreLogger(logger);
  // Metrics leave a loop as often as its lease is renewed: each minute on AWS, every few seconds locally.
  const metrics = metricsFromEnv(env, (settings.renewEverySec ?? 60) * 1000);
  const leases = createDynamoLeaseStore({ doc: clients.doc, tableName: requireEnv(EnvVar.TokensTable, env) });
  const routes = createRouteResolver({
    store: routeStoreFromEnv(env),
    clock: systemClock,
    ttlMs: settings.routeCacheTtlMs,
    logger: asCoreLogger(logger),
  });
  const invoker = createLambdaFunctionInvoker(clients.handlerLambda);
  const queue = overrides.queue ?? createSqsQueueClient(clients.sqs);
  // The loop's receive, from SQS outwards: the route's rate limit sizes each receive (this loop's
  // share of `maxRate`), then the route's filters settle what no pattern matches (`onNoMatch`)
  // and hand the loop only the matched messages.
  const shareOf = createLoopShare({
    leases,
    clock: systemClock,
    logger: coreLogger,
    ttlMs: settings.routeCacheTtlMs,
  });
  const rateLimited = createRateLimitedReceive({
    queue,
    clock: systemClock,
    share: async (queueUrl) => shareOf(queueUrl, (await routes.resolve(queueUrl))?.maxRate),
  });
  const receive = createFilteredReceive({
    queue,
    receive: rateLimited.receive,
    routes,
    forwarder: createSqsMessageForwarder(clients.sqs),
    invoker,
    clock: systemClock,
    retry: defaultBackoff,
    logger: coreLogger,
    region: settings.region ?? "us-east-1",
    metrics,
  });
  const starter = createLambdaLoopStarter(clients.lambda, ownFunctionName(env));
  // A function's configuration is cached as long as a route: a changed timeout shows within that TTL.
  const functions = createFunctionInfoCache({
    reader: createLambdaFunctionInfoReader(clients.lambda),
    clock: systemClock,
    ttlMs: settings.routeCacheTtlMs,
  });
  // What a dedicated loop and a shared loop both run on.
  const loopDeps = {
    leases,
    routes,
    queue,
    receive,
    invoker,
    starter,
    clock: systemClock,
    logger: coreLogger,
    settings,
    metrics,
    functions,
  };
  const dedicated = createPoller({ ...loopDeps, ...overrides });
  const { starter: _dedicatedStarter, ...sharedOverrides } = overrides;
  const shared = createSharedLoop({
    ...loopDeps,
    groups: leases,
    // A member joins or leaves within a route-cache TTL, as a route edit takes effect.
    membersEveryMs: settings.routeCacheTtlMs,
    ...sharedOverrides,
  });
  return {
    run: (event, context) =>
      isSharedLoopEvent(event) ? shared.run(event, context) : dedicated.run(event, context),
  };
}

/**
 * The poller's metrics sink: EMF lines on stdout (Lambda's log pipeline, and the local Lambda
 * service, turn them into `SqsDispatcher` metrics), dimension `Stage` from `DISPATCHER_STAGE`
 * (a function deployed without it reports stage `default`).
 */
export function metricsFromEnv(env: NodeJS.ProcessEnv = process.env, flushEveryMs = 60_000): MetricsSink {
  return createEmfMetricsSink({
    stage: optionalEnv(EnvVar.Stage, env) ?? "default",
    write: (line) => process.stdout.write(`${line}\n`),
    clock: systemClock,
    flushEveryMs: Math.max(1_000, flushEveryMs),
  });
}

/**
 * The poller Lambda handler around a poller factory: parse the event with one
 * strict schema (a malformed event is logged and dropped, never thrown: an async
 * invoke that throws would be retried by Lambda), tag the logs with the loop's
 * identity, run one invocation of the loop.
 */
export function createPollerHandler(
  makePoller: () => PollerRunner,
  logger: PowertoolsLogger,
  /** Where queue URLs may point (default: no scope, any SQS endpoint or the local edge). */
  scope?: QueueUrlScope,
) {
  let poller: PollerRunner | undefined;
  return middy(
    async (event: unknown, context: Context): Promise<PollerResult> => {
      const parsed = parsePollerEvent(event, scope);
      if (!parsed.ok) {
        logger.error("malformed poller event dropped", {
          issues: parsed.issues,
          event: describeDroppedEvent(event),
        });
        return { status: "dropped", issues: parsed.issues };
      }
      logger.appendKeys({ ...parsed.event, requestId: context.awsRequestId });
      poller ??= makePoller();
      const outcome = await poller.run(parsed.event, {
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
        requestId: context.awsRequestId,
      });
      logger.info("poller invocation done", { ...outcome });
      if (outcome.status === LoopOutcomeStatus.RecursionFailed) {
        // Lambda retries a failed async invocation with the same event: the loop goes on from there
        // (the invocation fence settles a duplicate) instead of waiting for restart's stale threshold.
        throw new RecursionFailedError(outcome);
      }
      return outcome;
      // No early timeout: the loop keeps its own time budget, and middy's early rejection would end
      // the invocation while the loop's promise ran on in the background. If a call hangs past the
      // budget, Lambda's own timeout ends the invocation and its environment.
    },
    { timeoutEarlyInMillis: 0 },
  ).use(injectLambdaContext(logger, { resetKeys: true }));
}

const logger = createPowertoolsLogger("poller");

/** The deployed poller (`packages/functions/src/poller.handler`). */
export const handler = createPollerHandler(() => pollerFromEnv(logger), logger, queueUrlScopeFromEnv());
