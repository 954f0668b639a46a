import { DispatcherError } from "./dispatcherError.js";
import type { LoopLimits, PollerConfig, RestartConfig, RouteStoreKind } from "./schema.js";

/**
 * The environment variables the platform's functions read, named once.
 * The SST stack and the local deploy both set them from the registry.
 */
export const EnvVar = {
  /** `tokens` table name. */
  TokensTable: "TOKENS_TABLE",
  /** `ssm` or `dynamodb`. */
  RouteStore: "ROUTE_STORE",
  /** SSM path of the routes (`/<app>/<stage>/routes/`), with ROUTE_STORE=ssm. */
  RoutesPath: "ROUTES_PATH",
  /** DynamoDB routes table, with ROUTE_STORE=dynamodb. */
  RoutesTable: "ROUTES_TABLE",
  /** The poller function's name: restart and scale start loops by invoking it. */
  PollerFunction: "POLLER_FUNCTION_NAME",
  /** Long-poll wait of each receive, seconds. */
  WaitTimeSec: "POLLER_WAIT_TIME_SEC",
  /** Slack kept beyond one full cycle before the poller recurses, seconds. */
  MarginSec: "POLLER_MARGIN_SEC",
  /** The poller renews its lease when this long has passed since its last verified renewal, seconds. */
  RenewEverySec: "POLLER_RENEW_EVERY_SEC",
  /** Quiet routes one shared loop polls at most (restart assigns groups of this size). */
  SharedQueuesPerLoop: "POLLER_SHARED_QUEUES_PER_LOOP",
  /** Route cache TTL in the poller, seconds. */
  RouteCacheTtlSec: "ROUTE_CACHE_TTL_SEC",
  /** Time the poller keeps for a handler's cold-start init beyond its timeout, seconds (default Lambda's 10). */
  ColdStartAllowanceSec: "POLLER_COLD_START_ALLOWANCE_SEC",
  /** The longest timeout of any handler function: a batch for a function not in HANDLER_TIMEOUTS_SEC must fit it. */
  MaxHandlerTimeoutSec: "MAX_HANDLER_TIMEOUT_SEC",
  /** Each handler function's timeout, seconds, as JSON `{ "<function name>": seconds }` (optional). */
  HandlerTimeoutsSec: "HANDLER_TIMEOUTS_SEC",
  /** Restart: heartbeat age past which a token is stale. */
  StaleAfterSec: "RESTART_STALE_AFTER_SEC",
  /** Restart: age past which a token that never heartbeat is stale. */
  StartGraceSec: "RESTART_START_GRACE_SEC",
  /** The registry's `limits.maxLoopsPerRoute`: restart and the scale functions clamp stored routes to it. */
  MaxLoopsPerRoute: "LIMITS_MAX_LOOPS_PER_ROUTE",
  /** The registry's `limits.maxLoopsTotal`: restart and the scale functions clamp stored routes to it. */
  MaxLoopsTotal: "LIMITS_MAX_LOOPS_TOTAL",
  /** Restart: its schedule's interval, seconds (optional): a run's time box is no longer. */
  RestartIntervalSec: "RESTART_INTERVAL_SEC",
  /** `processed` table of the example `record` handler. */
  ProcessedTable: "PROCESSED_TABLE",
  /** Scale functions: the `scaling-events` table (PK `eventKey` S, TTL `expiresAt`) that makes a transition scale once. */
  ScalingEventsTable: "SCALING_EVENTS_TABLE",
  /** Scale functions: the ARN of the topic the function is subscribed to; records from any other are forged. */
  ScaleTopicArn: "SCALE_TOPIC_ARN",
  /**
   * Prefix of the stage's alarm names (`<app>-<stage>-`): status (the admin API, the console) reads
   * only these alarms.
   */
  AlarmNamePrefix: "ALARM_NAME_PREFIX",
  /**
   * Route-sync: the SSM parameters (comma-separated names) where the stack wrote the deploy's
   * routes and reset flag; route-sync reads what to write from them, never from its event.
   */
  RouteSyncSpecParameters: "ROUTE_SYNC_SPEC_PARAMETERS",
  /** Route-sync: the id (ARN) of the stack whose requests it serves. */
  StackId: "DISPATCHER_STACK_ID",
  /** Route-sync: the logical id of the `Custom::RouteSync` resource it serves. */
  RouteSyncResourceId: "ROUTE_SYNC_RESOURCE_ID",
  /** Set by the local cloud for every function: the edge its SDK clients reach. Unset on AWS. */
  EndpointUrl: "AWS_ENDPOINT_URL",
  /** The registry's app: with the stage, it names the tier alarms the scale functions accept (`tierAlarmName`). */
  App: "DISPATCHER_APP",
  /** The stage (`prod`, `local`, …): the `Stage` dimension of the poller's metrics. */
  Stage: "DISPATCHER_STAGE",
  /**
   * The poller's own timeout, seconds (optional): no invoke it makes can outlast it, so it bounds the
   * request timeout of invokes of functions the platform did not build.
   */
  PollerTimeoutSec: "POLLER_TIMEOUT_SEC",
  /** Set by Lambda: the region the function runs in. */
  AwsRegion: "AWS_REGION",
  /** Set by Lambda (and some shells): the fallback region. */
  AwsDefaultRegion: "AWS_DEFAULT_REGION",
  /** Set by Lambda: the function's own name (the poller re-invokes itself by it). */
  FunctionName: "AWS_LAMBDA_FUNCTION_NAME",
} as const;
export type EnvVar = (typeof EnvVar)[keyof typeof EnvVar];

/** Thrown at cold start when the function is deployed without a variable it needs. */
export class MissingEnvironmentError extends DispatcherError {
  override readonly name = "MissingEnvironmentError";
  constructor(
    readonly variable: string,
    options?: ErrorOptions,
  ) {
    super(`environment variable ${variable} is not set`, { variable }, options);
  }
}

/** Reads a required variable, naming it when missing. */
export function requireEnv(name: EnvVar, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === "") throw new MissingEnvironmentError(name);
  return value;
}

/** Reads an optional variable: `undefined` when unset or empty, so callers state their default. */
export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The function's region: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else missing (naming `AWS_REGION`). */
export function requireRegion(env: NodeJS.ProcessEnv = process.env): string {
  const region = optionalEnv(EnvVar.AwsRegion, env) ?? optionalEnv(EnvVar.AwsDefaultRegion, env);
  if (region === undefined) throw new MissingEnvironmentError(EnvVar.AwsRegion);
  return region;
}

/** Reads a required whole number of seconds. */
export function requireSeconds(name: EnvVar, env: NodeJS.ProcessEnv = process.env): number {
  const raw = requireEnv(name, env);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new MissingEnvironmentError(`${name} (a whole number of seconds, got '${raw}')`);
  }
  return value;
}

/** Reads an optional JSON object of whole numbers of seconds by name (`{ "record": 10 }`); empty when unset. */
export function optionalSecondsByName(
  name: EnvVar,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, number> {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return {};
  const invalid = (options?: ErrorOptions) =>
    new MissingEnvironmentError(`${name} (a JSON object of whole seconds by name, got '${raw}')`, options);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw invalid({ cause });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed);
  if (!entries.every(([, v]) => Number.isInteger(v) && (v as number) >= 0)) throw invalid();
  return Object.fromEntries(entries) as Record<string, number>;
}

/** What the platform functions' environment is made of, on AWS and on the local cloud alike. */
export interface PlatformEnvironmentInput {
  tokensTable: string;
  routeStore: RouteStoreKind;
  /** The SSM path of the routes, with the `ssm` route store. */
  routesPath?: string | undefined;
  /** The routes table, with the `dynamodb` route store. */
  routesTable?: string | undefined;
  pollerFunction: string;
  poller: Pick<
    PollerConfig,
    "waitTimeSec" | "marginSec" | "renewEverySec" | "routeCacheTtlSec" | "sharedQueuesPerLoop"
  >;
  restart: Pick<RestartConfig, "staleAfterSec" | "startGraceSec">;
  /** The registry's loop limits: restart and the scale functions clamp stored routes to them. */
  limits: LoopLimits;
  /** The longest timeout of any handler function, seconds. */
  maxHandlerTimeoutSec: number;
  /** Each handler function's timeout, seconds, by the name routes give it: a loop budgets a batch with its own handler's. */
  handlerTimeoutsSec: Record<string, number>;
  /** A restart run's time box: the schedule's real interval, seconds. */
  restartIntervalSec: number;
  stage: string;
}

/**
 * The environment every platform function gets (table names, route store, poller and restart
 * settings): the one map the SST stack and the local deploy both set.
 */
export function platformEnvironment(input: PlatformEnvironmentInput): Record<string, string> {
  return {
    [EnvVar.TokensTable]: input.tokensTable,
    [EnvVar.RouteStore]: input.routeStore,
    ...(input.routesPath !== undefined ? { [EnvVar.RoutesPath]: input.routesPath } : {}),
    ...(input.routesTable !== undefined ? { [EnvVar.RoutesTable]: input.routesTable } : {}),
    [EnvVar.PollerFunction]: input.pollerFunction,
    [EnvVar.WaitTimeSec]: String(input.poller.waitTimeSec),
    [EnvVar.MarginSec]: String(input.poller.marginSec),
    [EnvVar.RenewEverySec]: String(input.poller.renewEverySec),
    [EnvVar.SharedQueuesPerLoop]: String(input.poller.sharedQueuesPerLoop),
    [EnvVar.RouteCacheTtlSec]: String(input.poller.routeCacheTtlSec),
    [EnvVar.MaxHandlerTimeoutSec]: String(input.maxHandlerTimeoutSec),
    [EnvVar.HandlerTimeoutsSec]: JSON.stringify(input.handlerTimeoutsSec),
    [EnvVar.StaleAfterSec]: String(input.restart.staleAfterSec),
    [EnvVar.MaxLoopsPerRoute]: String(input.limits.maxLoopsPerRoute),
    [EnvVar.MaxLoopsTotal]: String(input.limits.maxLoopsTotal),
    [EnvVar.StartGraceSec]: String(input.restart.startGraceSec),
    [EnvVar.RestartIntervalSec]: String(input.restartIntervalSec),
    [EnvVar.Stage]: input.stage,
  };
}
