import type { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import {
  createDepthLoopCount,
  createRestart,
  type Restart,
  type RestartLeftover,
  restartBudgetMs,
  systemClock,
} from "@sqs-dispatcher/core";
import {
  createAwsClients,
  createCloudWatchClient,
  createDynamoLeaseStore,
  createDynamoQueueScalingLock,
  createLambdaLoopStarter,
  createSqsQueueDepthReader,
} from "@sqs-dispatcher/core/aws";
import type { Context } from "aws-lambda";
import { EnvVar, requireEnv } from "./runtime/environment.js";
import { asCoreLogger, createPowertoolsLogger } from "./runtime/functionLogger.js";
import {
  loopLimitsFromEnv,
  restartIntervalMsFromEnv,
  sharedQueuesPerLoopFromEnv,
  stalenessFromEnv,
} from "./runtime/functionSettings.js";
import { routeStoreFromEnv } from "./runtime/routeStoreFromEnv.js";

/** A restart run's summary (the full report is logged). */
export interface RestartResult {
  scanned: number;
  pages: number;
  stale: number;
  claimed: number;
  started: number;
  deleted: number;
  unreadableRoutes: number;
  /** Stored routes over the loop limits, reconciled clamped. */
  clamped: number;
  errors: number;
  /** What the run's time box left for the next run. */
  left: RestartLeftover;
}

/** Builds restart from the function's environment (once per cold start). */
export function restartFromEnv(logger: PowertoolsLogger, env: NodeJS.ProcessEnv = process.env): Restart {
  const clients = createAwsClients();
  const leases = createDynamoLeaseStore({ doc: clients.doc, tableName: requireEnv(EnvVar.TokensTable, env) });
  const starter = createLambdaLoopStarter(clients.lambda, requireEnv(EnvVar.PollerFunction, env));
  return createRestart({
    leases,
    routes: routeStoreFromEnv(env),
    starter,
    // The scale functions' per-queue lock: reconcile changes a route's loop count only under it.
    lock: createDynamoQueueScalingLock({
      doc: clients.doc,
      tableName: requireEnv(EnvVar.ScalingEventsTable, env),
    }),
    shared: { groups: leases, starter, perLoop: sharedQueuesPerLoopFromEnv(env) },
    clock: systemClock,
    logger: asCoreLogger(logger),
    settings: stalenessFromEnv(env),
    limits: loopLimitsFromEnv(env),
    // Routes with `scaling.mode: "depth"` get their loop count from the queue's depth (and, with
    // `maxAgeSec`, the age of its oldest message, which only CloudWatch reports).
    desiredLoopCount: createDepthLoopCount({
      depth: createSqsQueueDepthReader(clients.sqs, createCloudWatchClient()),
      clock: systemClock,
      logger: asCoreLogger(logger),
    }),
  });
}

/**
 * The restart Lambda handler around a restart factory. The schedule's event carries nothing it
 * needs. Each run is time-boxed to the restart interval (`RESTART_INTERVAL_SEC`, when set) and
 * the invocation's remaining time; what does not fit is logged and left for the next run.
 */
export function createRestartHandler(
  makeRestart: () => Restart,
  logger: PowertoolsLogger,
  intervalMs: number | undefined = restartIntervalMsFromEnv(),
) {
  let restart: Restart | undefined;
  return middy(async (_event: unknown, context: Context): Promise<RestartResult> => {
    logger.appendKeys({ requestId: context.awsRequestId });
    restart ??= makeRestart();
    const report = await restart.run({
      budgetMs: restartBudgetMs(intervalMs, context.getRemainingTimeInMillis()),
    });
    return {
      scanned: report.scanned,
      pages: report.pages,
      stale: report.stale,
      claimed: report.claimed.length,
      started: report.started.length,
      deleted: report.deleted.length,
      unreadableRoutes: report.unreadableRoutes.length,
      clamped: report.clamped.length,
      errors: report.errors.length,
      left: report.left,
    };
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}

const logger = createPowertoolsLogger("restart");

/** The deployed restart (`packages/functions/src/restart.handler`), run on a schedule. */
export const handler = createRestartHandler(() => restartFromEnv(logger), logger);
