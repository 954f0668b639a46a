import { Logger } from "@aws-lambda-powertools/logger";
import {
  type AdminApiRequest,
  AdminApiView,
  adminApiRequestSchema,
  describeIssues,
} from "@sqs-dispatcher/config";
import {
  type CapacityStatus,
  describeQueue,
  describeQueuesPage,
  type QueueStatus,
  type StatusDeps,
  type StatusReport,
  systemClock,
} from "@sqs-dispatcher/core";
import {
  createAwsClients,
  createCloudWatchAlarmReader,
  createCloudWatchClient,
  createDynamoLeaseStore,
  createLambdaAccountSettingsReader,
  createSqsQueueDirectory,
} from "@sqs-dispatcher/core/aws";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { EnvVar, requireEnv } from "./runtime/environment.js";
import { routeStoreFromEnv } from "./runtime/routeStoreFromEnv.js";

/** A queue as `view=summary` shows it: its state and how many loops it has, not each loop. */
export type QueueSummary = Omit<QueueStatus, "loops"> & { loopCount: number };
/** A queue as `view=loops` shows it: every token and its heartbeat. */
export type QueueLoops = Pick<QueueStatus, "name" | "url" | "loops">;

/**
 * The JSON body of a successful admin API response. `GET /queues` adds `capacity`: the account's
 * Lambda concurrency against loops + handlers at maxLoops, with a warning past 80%.
 */
export type AdminApiBody = (
  | { view: typeof AdminApiView.Summary; queues: QueueSummary[] }
  | { view: typeof AdminApiView.Loops; queues: QueueLoops[] }
) & {
  capacity?: CapacityStatus;
  /** `GET /queues` only: pass as `?after=` for the next page; absent on the last page. */
  next?: string;
};

/** What the handler needs; built once per cold start from the environment in Lambda. */
export interface AdminApiDeps {
  status: StatusDeps;
  logger: Pick<Logger, "error" | "info">;
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** Shapes a status report for a view. */
export function shapeReport(report: StatusReport, view: AdminApiView): AdminApiBody {
  const capacity = report.capacity ? { capacity: report.capacity } : {};
  if (view === AdminApiView.Loops) {
    return { view, queues: report.queues.map(({ name, url, loops }) => ({ name, url, loops })), ...capacity };
  }
  return {
    view,
    queues: report.queues.map(({ loops, ...rest }) => ({ ...rest, loopCount: loops.length })),
    ...capacity,
  };
}

/**
 * The admin API as a function of its dependencies: `GET /queues` and
 * `GET /queues/{name}?view=summary|loops` over core's status functions. The request is parsed
 * with the one schema the stack's cache keys come from; a bad `view`, `limit`, `after` or queue
 * name is a 400 (never a 500 from SQS refusing the name). `GET /queues` is paged (`limit`, `after`).
 */
export function createAdminApiHandler(deps: () => AdminApiDeps) {
  return async (
    event: Pick<APIGatewayProxyEvent, "resource" | "pathParameters" | "queryStringParameters">,
  ) => {
    const parsed = adminApiRequestSchema.safeParse({
      resource: event.resource,
      pathParameters: event.pathParameters ?? undefined,
      queryStringParameters: event.queryStringParameters,
    });
    if (!parsed.success) {
      const issues = describeIssues(parsed.error);
      return json(400, {
        message: `bad request: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`,
        issues,
      });
    }
    const request: AdminApiRequest = parsed.data;
    const { status, logger } = deps();
    try {
      if (request.resource === "/queues") {
        const { limit, after, view } = request.queryStringParameters;
        const page = await describeQueuesPage(status, { limit, ...(after !== undefined ? { after } : {}) });
        return json(200, {
          ...shapeReport(page, view),
          ...(page.next !== undefined ? { next: page.next } : {}),
        });
      }
      const name = request.pathParameters.name;
      const report = await describeQueue(status, name);
      if (report.queues.length === 0) {
        return json(404, { message: `queue '${name}' is neither routed nor exists` });
      }
      return json(200, shapeReport(report, request.queryStringParameters.view));
    } catch (error) {
      logger.error("admin API request failed", {
        resource: event.resource,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      return json(500, { message: "internal error; see the admin API function's logs" });
    }
  };
}

/** Builds the status dependencies from the deployed environment (tables, route store, alarm prefix). */
export function adminApiDepsFromEnv(env: NodeJS.ProcessEnv = process.env): AdminApiDeps {
  const clients = createAwsClients();
  const logger = new Logger({ serviceName: "sqs-dispatcher-admin-api" });
  const alarmNamePrefix = requireEnv(EnvVar.AlarmNamePrefix, env);
  return {
    logger,
    status: {
      routes: routeStoreFromEnv(env),
      leases: createDynamoLeaseStore({ doc: clients.doc, tableName: requireEnv(EnvVar.TokensTable, env) }),
      queues: createSqsQueueDirectory({ sqs: clients.sqs }),
      alarms: createCloudWatchAlarmReader({
        cloudwatch: createCloudWatchClient(),
        alarmNamePrefix,
      }),
      // Needs lambda:GetAccountSettings; without it status shows the demand without headroom.
      account: createLambdaAccountSettingsReader(clients.lambda),
      // The stack names every function it builds `<app>-<stage>-<name>` (the alarm prefix): any other
      // is one it did not build. The API's role reads no function configuration, so none is shown.
      ...(alarmNamePrefix
        ? { functions: { isBuilt: (ref: string) => ref.startsWith(alarmNamePrefix) } }
        : {}),
      clock: systemClock,
      logger: { warn: (message, fields) => logger.warn({ message, ...fields }) },
    },
  };
}

let deps: AdminApiDeps | undefined;

/** The Lambda entry point (API Gateway REST proxy integration). */
export const handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> = createAdminApiHandler(
  () => {
    deps ??= adminApiDepsFromEnv();
    return deps;
  },
);
