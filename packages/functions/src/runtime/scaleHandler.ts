import type { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { tierAlarmName } from "@sqs-dispatcher/config";
import { type ScaleDeps, type ScaleRecordResult, systemClock } from "@sqs-dispatcher/core";
import {
  createAwsClients,
  createCloudWatchAlarmDirectory,
  createCloudWatchClient,
  createDynamoLeaseStore,
  createDynamoQueueScalingLock,
  createDynamoScalingEventLog,
  createLambdaLoopStarter,
} from "@sqs-dispatcher/core/aws";
import type { Context } from "aws-lambda";
import { EnvVar, requireEnv, requireRegion } from "./environment.js";
import { asCoreLogger } from "./functionLogger.js";
import { loopLimitsFromEnv } from "./functionSettings.js";
import { routeStoreFromEnv } from "./routeStoreFromEnv.js";

/** What one invocation did with the records of its SNS event (each record is also logged). */
export interface ScaleResult {
  records: number;
  outcomes: Record<string, number>;
}

/** Builds the scale functions' dependencies from the environment (once per cold start). */
export function scaleDepsFromEnv(logger: PowertoolsLogger, env: NodeJS.ProcessEnv = process.env): ScaleDeps {
  const clients = createAwsClients();
  // Lambda sets AWS_REGION; it tells which queues are "ours" when a queue URL names no region.
  const region = requireRegion(env);
  const app = requireEnv(EnvVar.App, env);
  const stage = requireEnv(EnvVar.Stage, env);
  return {
    routes: routeStoreFromEnv(env),
    leases: createDynamoLeaseStore({ doc: clients.doc, tableName: requireEnv(EnvVar.TokensTable, env) }),
    starter: createLambdaLoopStarter(clients.lambda, requireEnv(EnvVar.PollerFunction, env)),
    events: createDynamoScalingEventLog({
      doc: clients.doc,
      tableName: requireEnv(EnvVar.ScalingEventsTable, env),
    }),
    lock: createDynamoQueueScalingLock({
      doc: clients.doc,
      tableName: requireEnv(EnvVar.ScalingEventsTable, env),
    }),
    // Exactly the names the stack gives its tier alarms; each notification is checked against CloudWatch.
    alarmNameOf: (queueName, tier) => tierAlarmName(app, stage, queueName, tier),
    alarms: createCloudWatchAlarmDirectory(createCloudWatchClient()),
    topicArn: requireEnv(EnvVar.ScaleTopicArn, env),
    clock: systemClock,
    logger: asCoreLogger(logger),
    region,
    limits: loopLimitsFromEnv(env),
  };
}

/**
 * A scale Lambda handler (SNS-subscribed) around one of core's use cases. A record that
 * failed to scale makes the invocation fail, so Lambda retries the event; the records
 * already done are then recognised as duplicates.
 */
export function createScaleHandler(
  scale: (deps: ScaleDeps, event: unknown) => Promise<ScaleRecordResult[]>,
  makeDeps: () => ScaleDeps,
  logger: PowertoolsLogger,
) {
  let deps: ScaleDeps | undefined;
  return middy(async (event: unknown, context: Context): Promise<ScaleResult> => {
    logger.appendKeys({ requestId: context.awsRequestId });
    deps ??= makeDeps();
    const results = await scale(deps, event);
    const outcomes: Record<string, number> = {};
    for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    return { records: results.length, outcomes };
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}
