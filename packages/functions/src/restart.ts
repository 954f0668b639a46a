import type { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import middy from "@middy/core";
import {
  createAwsClients,
  createDepthLoopCount,
  createDynamoLeaseStore,
  createLambdaLoopStarter,
  createRestart,
  createSqsQueueDepthReader,
  type Restart,
  systemClock,
} from "@sqs-dispatcher/core";
import type { Context } from "aws-lambda";
import { EnvVar, requireEnv } from "./runtime/environment.js";
import { asCoreLogger, createPowertoolsLogger } from "./runtime/functionLogger.js";
import { stalenessFromEnv } from "./runtime/functionSettings.js";
import { routeStoreFromEnv } from "./runtime/routeStoreFromEnv.js";

/** A restart run's summary (the full report is logged). */
export interface RestartResult {
  scanned: number;
  pages: number;
  claimed: number;
  started: number;
  deleted: number;
  errors: number;
}

/** Builds restart from the function's environment (once per cold start). */
export function restartFromEnv(logger: PowertoolsLogger, env: NodeJS.ProcessEnv = process.env): Restart {
  const clients = createAwsClients();
  return createRestart({
    leases: createDynamoLeaseStore({ doc: clients.doc, tableName: requireEnv(EnvVar.TokensTable, env) }),
    routes: routeStoreFromEnv(env),
    starter: createLambdaLoopStarter(clients.lambda, requireEnv(EnvVar.PollerFunction, env)),
    clock: systemClock,
    logger: asCoreLogger(logger),
    settings: stalenessFromEnv(env),
    // Routes with `scaling.mode: "depth"` get their loop count from the queue's depth (and, with
    // `maxAgeSec`, the age of its oldest message, which only CloudWatch reports).
    desiredLoopCount: createDepthLoopCount({
      depth: createSqsQueueDepthReader(clients.sqs, new CloudWatchClient({})),
      clock: systemClock,
      logger: asCoreLogger(logger),
    }),
  });
}

/** The restart Lambda handler around a restart factory. The schedule's event carries nothing it needs. */
export function createRestartHandler(makeRestart: () => Restart, logger: PowertoolsLogger) {
  let restart: Restart | undefined;
  return middy(async (_event: unknown, context: Context): Promise<RestartResult> => {
    logger.appendKeys({ requestId: context.awsRequestId });
    restart ??= makeRestart();
    const report = await restart.run();
    return {
      scanned: report.scanned,
      pages: report.pages,
      claimed: report.claimed.length,
      started: report.started.length,
      deleted: report.deleted.length,
      errors: report.errors.length,
    };
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}

const logger = createPowertoolsLogger("restart");

/** The deployed restart (`packages/functions/src/restart.handler`), run on a schedule. */
export const handler = createRestartHandler(() => restartFromEnv(logger), logger);
