import { builtFunctions, DispatcherError, PlatformFunction } from "@sqs-dispatcher/config";
import type { ConsoleDeps } from "@sqs-dispatcher/console";
import { createFunctionInfoCache, type Logger, systemClock } from "@sqs-dispatcher/core";
import {
  createCloudWatchAlarmReader,
  createCloudWatchMetricReader,
  createDynamoLeaseStore,
  createDynamoRouteStore,
  createLambdaFunctionInfoReader,
  createLambdaLoopStarter,
  createSqsDeadLetterQueues,
  createSqsQueueDirectory,
  createSsmRouteStore,
} from "@sqs-dispatcher/core/aws";
import type { LocalDeployment } from "../platform/deployLocal.js";

/**
 * Period of the console's datapoints locally: the local cloud samples `AWS/SQS` every local
 * "minute" (3 s by default), so 10 s periods give a live plot; on AWS it is CloudWatch's 60 s.
 */
export const LOCAL_CONSOLE_PERIOD_SEC = 10;

/** The stage's alarm prefix the local deploy gives the platform functions (as the stack does). */
function alarmNamePrefixOf(env: Record<string, string>): string {
  const prefix = env["ALARM_NAME_PREFIX"];
  if (!prefix) throw new DispatcherError("the local deployment's environment has no ALARM_NAME_PREFIX");
  return prefix;
}

/**
 * The console's ports over a local deployment: the same SDK adapters the CLI builds for AWS,
 * aimed at the local cloud's edge (one code path).
 */
export function localConsoleDeps(
  deployment: Pick<LocalDeployment, "clients" | "platformEnvironment" | "tables" | "registry">,
  options: { endpoint: string; stage?: string; logger?: Pick<Logger, "warn"> },
): ConsoleDeps {
  const { clients, platformEnvironment: env } = deployment;
  const routes =
    env["ROUTE_STORE"] === "dynamodb"
      ? createDynamoRouteStore({ doc: clients.doc, tableName: env["ROUTES_TABLE"] ?? "routes" })
      : createSsmRouteStore({ ssm: clients.ssm, path: env["ROUTES_PATH"] ?? "" });
  const leases = createDynamoLeaseStore({ doc: clients.doc, tableName: deployment.tables.tokens });
  const stage = options.stage ?? env["DISPATCHER_STAGE"] ?? "local";
  // Locally a built function is named by its registry name.
  const built = new Set(builtFunctions(deployment.registry.functions).map(([name]) => name));
  return {
    stage,
    target: `local cloud ${options.endpoint}`,
    cliFlags: options.endpoint === "http://127.0.0.1:4566" ? "--local" : `--endpoint ${options.endpoint}`,
    status: {
      routes,
      leases,
      queues: createSqsQueueDirectory({ sqs: clients.sqs }),
      alarms: createCloudWatchAlarmReader({
        cloudwatch: clients.cloudwatch,
        alarmNamePrefix: alarmNamePrefixOf(env),
      }),
      functions: {
        isBuilt: (ref) => built.has(ref),
        info: createFunctionInfoCache({
          reader: createLambdaFunctionInfoReader(clients.lambda),
          clock: systemClock,
          ttlMs: 5_000,
        }),
      },
      clock: systemClock,
      logger: options.logger ?? { warn() {} },
      ...(env["LIMITS_MAX_LOOPS_PER_ROUTE"] && env["LIMITS_MAX_LOOPS_TOTAL"]
        ? {
            limits: {
              maxLoopsPerRoute: Number(env["LIMITS_MAX_LOOPS_PER_ROUTE"]),
              maxLoopsTotal: Number(env["LIMITS_MAX_LOOPS_TOTAL"]),
            },
          }
        : {}),
    },
    routes,
    leases,
    starter: createLambdaLoopStarter(clients.lambda, env["POLLER_FUNCTION_NAME"] ?? PlatformFunction.Poller),
    deadLetters: createSqsDeadLetterQueues({ sqs: clients.sqs }),
    metrics: createCloudWatchMetricReader({ cloudwatch: clients.cloudwatch }),
    periodSec: LOCAL_CONSOLE_PERIOD_SEC,
  };
}
