import {
  AwsLimits,
  awsResourceName,
  DispatcherError,
  type FunctionConfig,
  formatNoMatchAction,
  NoMatchKind,
  PlatformFunction,
  parseNoMatchAction,
  parseRoute,
  type Registry,
  type Route,
  type RouteConfig,
  registryWarnings,
  routeParameterPath,
  settingsFor,
  tierDescription,
  tierMetricName,
} from "@sqs-dispatcher/config";
import type { RouteSyncProperties } from "@sqs-dispatcher/functions/routeSync";
import { EnvVar } from "@sqs-dispatcher/functions/runtime/environment";
import { Annotations, ArnFormat, CustomResource, Duration, RemovalPolicy, type Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { BillingMode } from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as cr from "aws-cdk-lib/custom-resources";
import {
  Cron,
  type FunctionProps,
  Queue,
  Function as SstFunction,
  type StackContext,
  Table,
  Topic,
} from "sst/constructs";
import registry from "../dispatcher.config.js";
import { createDispatcherDashboard, dashboardUrl } from "./dashboard.js";
import { accountConcurrencyFromEnv, checkStackCapacity } from "./deployCapacity.js";

/** Handlers of the platform's own functions (paths relative to the project root, as SST expects). */
export const PlatformHandler = {
  poller: "packages/functions/src/poller.handler",
  restart: "packages/functions/src/restart.handler",
  scaleUp: "packages/functions/src/scaleUp.handler",
  scaleDown: "packages/functions/src/scaleDown.handler",
  adminApi: "packages/functions/src/adminApi.handler",
  routeSync: "packages/functions/src/routeSync.handler",
} as const;

/**
 * Functions only the AWS stack has (the local deploy syncs routes in-process): the route sync and
 * the CDK Provider framework function in front of it. Registry functions may not take these names.
 */
export const StackFunction = {
  RouteSync: "route-sync",
  RouteSyncProvider: "route-sync-provider",
} as const;

/** The environment variable that makes a deploy reset run-time route edits (`DISPATCHER_RESET_ROUTES=1`). */
export const resetRoutesVariable = "DISPATCHER_RESET_ROUTES";

/** Options of {@link createDispatcherStack}. */
export interface DispatcherStackOptions {
  /** Reset run-time route edits to the registry (default: `DISPATCHER_RESET_ROUTES` at synthesis). */
  resetRoutes?: boolean;
  /** Differs per deploy so the route sync runs on every deploy (default: the synthesis time). */
  deployId?: string;
  /** The account's Lambda concurrency (default: `DISPATCHER_ACCOUNT_CONCURRENCY`; unknown: not checked). */
  accountConcurrency?: number;
}

/**
 * Example handlers record deliveries in the `processed` table (PROCESSED_TABLE); a registry
 * function whose handler lives here gets that table and write access to it. They obey
 * `sleepMs`/`fail`/`crash` in message bodies, so they reach AWS only with `examples: true`.
 */
export const exampleHandlersDir = "packages/functions/src/handlers/";

/** The `processed` table's TTL attribute (epoch seconds), written by the example handlers. */
export const processedTtlAttribute = "expiresAt";

/** How long every function's logs are kept. */
export const logRetention = logs.RetentionDays.TWO_WEEKS;

/** The smallest interval an EventBridge schedule can fire at. */
const minScheduleMinutes = 1;

/** A queue a route drains, as the other stacks and the admin API need it. */
export interface RoutedQueue {
  readonly name: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue?: sqs.IQueue;
  readonly imported: boolean;
}

/** What the Dispatcher stack hands to stacks that `use(Dispatcher)`. */
export interface DispatcherOutputs {
  readonly registry: Registry;
  readonly stage: string;
  readonly tokensTable: Table;
  readonly routesTable?: Table;
  readonly routesPath?: string;
  readonly poller: SstFunction;
  readonly queues: readonly RoutedQueue[];
  /** The environment every platform function gets (table names, route store, poller settings). */
  readonly platformEnvironment: Readonly<Record<string, string>>;
  /** Grants read access to the route store (SSM path or routes table). */
  grantRoutesRead(fn: SstFunction): void;
  /** Builds a platform function in `scope` with the platform environment and shared defaults. */
  platformFunction(
    scope: Stack,
    id: string,
    logical: PlatformFunction,
    handler: string,
    extra?: Partial<FunctionProps>,
  ): SstFunction;
  /** The physical name of a resource of this stage (`awsResourceName`). */
  resourceName(logical: string): string;
}

/** The Restart schedule in whole minutes: EventBridge cannot fire more often than once a minute. */
export function restartScheduleMinutes(intervalSec: number): number {
  return Math.max(minScheduleMinutes, Math.ceil(intervalSec / 60));
}

/** The DLQ name of a created queue: `<name>-dlq`, or `<base>-dlq.fifo` for a FIFO queue. */
export function deadLetterQueueName(queueName: string): string {
  return queueName.endsWith(".fifo") ? `${queueName.slice(0, -".fifo".length)}-dlq.fifo` : `${queueName}-dlq`;
}

/** Thrown at synthesis when the registry cannot be deployed as declared. */
export class StackConfigurationError extends DispatcherError {
  override readonly name = "StackConfigurationError";
}

function functionArn(stack: Stack, name: string): string {
  return stack.formatArn({
    service: "lambda",
    resource: "function",
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * Imports the existing queue `queueName` of the stack's own account and region. The URL is given
 * alongside the ARN: `fromQueueArn` alone would derive it by splitting the ARN token at deploy time.
 */
export function importQueueByName(stack: Stack, id: string, queueName: string): sqs.IQueue {
  return sqs.Queue.fromQueueAttributes(stack, id, {
    queueArn: stack.formatArn({ service: "sqs", resource: queueName }),
    queueUrl: `https://sqs.${stack.region}.${stack.urlSuffix}/${stack.account}/${queueName}`,
    queueName,
    fifo: queueName.endsWith(".fifo"),
  });
}

/** Reads `DISPATCHER_RESET_ROUTES`: `1`/`true` resets run-time route edits, unset/`0`/`false` keeps them. */
export function resetRoutesFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[resetRoutesVariable];
  if (raw === undefined || raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new StackConfigurationError(`${resetRoutesVariable} must be 1, true, 0 or false (got '${raw}')`);
}

/**
 * A scale topic's policy: CloudWatch may publish for the stage's alarms (`aws:SourceArn`) of this
 * account (`aws:SourceAccount`), and every other publisher is denied, including principals of the
 * account whose IAM policies allow sns:Publish (an explicit deny wins over their allow).
 */
export function restrictToStageAlarms(topic: sns.ITopic, stageAlarmsArn: string, account: string): void {
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "CloudWatchAlarmsOfThisStage",
      effect: iam.Effect.ALLOW,
      principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: { "aws:SourceArn": stageAlarmsArn },
        StringEquals: { "aws:SourceAccount": account },
      },
    }),
  );
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "NoOtherPublishers",
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      // A missing aws:SourceArn (any IAM user or role) matches ArnNotLike, so only the alarms pass.
      conditions: { ArnNotLike: { "aws:SourceArn": stageAlarmsArn } },
    }),
  );
}

/** Function props with the recursion setting made explicit: every function states it. */
export type DispatcherFunctionProps = FunctionProps & { recursiveLoop: lambda.RecursiveLoop };

/**
 * Builds a function with the project's defaults. Every function gets its own log group, so
 * retention is set without CDK's LogRetention custom resource (one more Lambda with `logs:*` on `*`).
 */
export function createDispatcherFunction(
  scope: Stack,
  id: string,
  functionName: string,
  props: DispatcherFunctionProps,
): SstFunction {
  return new SstFunction(scope, id, {
    runtime: "nodejs22.x",
    architecture: "arm_64",
    // Active tracing would add xray:Put* on "*" to every role; the recursion guard does
    // not need it (Lambda sets _X_AMZN_TRACE_ID either way).
    tracing: "disabled",
    ...props,
    functionName,
    logGroup: new logs.LogGroup(scope, `${id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
  });
}

/** Adds one Allow statement to a function's role. */
export function allow(fn: SstFunction, actions: string[], resources: string[]): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions, resources }));
}

/**
 * Builds the stack function for a registry, so tests can synthesize their own registry;
 * `getStack`/`use` need the function's identity, so build it once per registry.
 *
 * @example
 * const Dispatcher = createDispatcherStack(testRegistry);
 * app.stack(Dispatcher);
 */
export function createDispatcherStack(registry: Registry, options: DispatcherStackOptions = {}) {
  return function Dispatcher({ stack, app }: StackContext): DispatcherOutputs {
    const stage = app.stage;
    const settings = settingsFor(registry, { kind: "aws", stage });
    // Refused before anything is built: route reads vs the store, loops + handlers vs the account.
    checkStackCapacity(registry, settings, options.accountConcurrency ?? accountConcurrencyFromEnv());
    const name = (logical: string) => awsResourceName(registry.app, stage, logical);
    const functionEntries = Object.entries(registry.functions);

    const platformNames = new Set<string>([
      ...Object.values(PlatformFunction),
      ...Object.values(StackFunction),
    ]);
    for (const [fnName] of functionEntries) {
      if (platformNames.has(fnName)) {
        throw new StackConfigurationError(
          `registry function '${fnName}' takes the name of a platform function (${[...platformNames].join(", ")}); rename it`,
        );
      }
    }
    const exampleFunctions = functionEntries.filter(([, fn]) => fn.handler.startsWith(exampleHandlersDir));
    if (exampleFunctions.length > 0 && !registry.examples) {
      throw new StackConfigurationError(
        `function${exampleFunctions.length === 1 ? "" : "s"} ${exampleFunctions.map(([n]) => `'${n}'`).join(", ")} use${exampleFunctions.length === 1 ? "s" : ""} an example handler (${exampleHandlersDir}), which obeys sleepMs/fail/crash in message bodies and keeps every body in the 'processed' table: point ${exampleFunctions.length === 1 ? "it" : "them"} at your own handler, or set 'examples: true' in the registry to deploy the examples to AWS on purpose`,
      );
    }
    for (const warning of registryWarnings(registry)) Annotations.of(stack).addWarning(warning);
    const maxHandlerTimeoutSec = Math.max(1, ...functionEntries.map(([, fn]) => fn.timeoutSec));
    const cycleSec = settings.poller.waitTimeSec + maxHandlerTimeoutSec + settings.poller.marginSec;
    if (settings.poller.timeoutSec < cycleSec) {
      throw new StackConfigurationError(
        `poller.timeoutSec (${settings.poller.timeoutSec}s) must fit one cycle: waitTimeSec (${settings.poller.waitTimeSec}s) + the longest handler timeout (${maxHandlerTimeoutSec}s) + marginSec (${settings.poller.marginSec}s) = ${cycleSec}s`,
      );
    }

    // Tables. Keys as DESIGN.md's token protocol fixes them.
    const tokensTable = new Table(stack, "Tokens", {
      fields: { queueUrl: "string", token: "string" },
      primaryIndex: { partitionKey: "queueUrl", sortKey: "token" },
      cdk: {
        table: {
          tableName: name("tokens"),
          billingMode: BillingMode.PAY_PER_REQUEST,
          pointInTimeRecovery: true,
        },
      },
    });
    const processedTable =
      registry.examples && exampleFunctions.length > 0
        ? new Table(stack, "Processed", {
            fields: { messageId: "string" },
            primaryIndex: { partitionKey: "messageId" },
            // Every delivered body is kept here; the TTL keeps that bounded.
            timeToLiveAttribute: processedTtlAttribute,
            cdk: {
              table: {
                tableName: name("processed"),
                billingMode: BillingMode.PAY_PER_REQUEST,
                pointInTimeRecovery: false,
              },
            },
          })
        : undefined;
    const routesTable =
      settings.routeStore === "dynamodb"
        ? new Table(stack, "Routes", {
            fields: { queueName: "string" },
            primaryIndex: { partitionKey: "queueName" },
            cdk: {
              table: {
                tableName: name("routes"),
                billingMode: BillingMode.PAY_PER_REQUEST,
                pointInTimeRecovery: true,
              },
            },
          })
        : undefined;
    const routesPath = settings.routeStore === "ssm" ? routeParameterPath(registry.app, stage) : undefined;

    const pollerName = name(PlatformFunction.Poller);
    const platformEnvironment: Record<string, string> = {
      [EnvVar.TokensTable]: tokensTable.tableName,
      [EnvVar.RouteStore]: settings.routeStore,
      ...(routesPath !== undefined ? { [EnvVar.RoutesPath]: routesPath } : {}),
      ...(routesTable ? { [EnvVar.RoutesTable]: routesTable.tableName } : {}),
      [EnvVar.PollerFunction]: pollerName,
      [EnvVar.WaitTimeSec]: String(settings.poller.waitTimeSec),
      [EnvVar.MarginSec]: String(settings.poller.marginSec),
      [EnvVar.RenewEverySec]: String(settings.poller.renewEverySec),
      [EnvVar.SharedQueuesPerLoop]: String(settings.poller.sharedQueuesPerLoop),
      [EnvVar.RouteCacheTtlSec]: String(settings.poller.routeCacheTtlSec),
      [EnvVar.MaxHandlerTimeoutSec]: String(maxHandlerTimeoutSec),
      [EnvVar.StaleAfterSec]: String(settings.restart.staleAfterSec),
      [EnvVar.StartGraceSec]: String(settings.restart.startGraceSec),
      // A restart run is time-boxed to the schedule's real interval (whole minutes on EventBridge).
      [EnvVar.RestartIntervalSec]: String(restartScheduleMinutes(settings.restart.intervalSec) * 60),
      [EnvVar.Stage]: stage,
    };

    const makeFunction = (id: string, functionName: string, props: DispatcherFunctionProps) =>
      createDispatcherFunction(stack, id, functionName, props);

    const platformFunction = (
      scope: Stack,
      id: string,
      logical: string,
      handler: string,
      extra: Partial<FunctionProps> = {},
    ) =>
      createDispatcherFunction(scope, id, name(logical), {
        handler,
        timeout: 60,
        memorySize: 256,
        ...extra,
        environment: { ...platformEnvironment, ...extra.environment },
        // Only the poller may recurse; everything else keeps AWS's loop guard.
        recursiveLoop: lambda.RecursiveLoop.TERMINATE,
      });

    // The handler functions of the registry: ordinary Lambda SQS handlers, outside any loop.
    const handlerFunctions = new Map<string, SstFunction>();
    for (const [fnName, fn] of functionEntries) {
      handlerFunctions.set(fnName, createHandlerFunction(fnName, fn));
    }
    function createHandlerFunction(fnName: string, fn: FunctionConfig): SstFunction {
      const usesProcessed = processedTable !== undefined && fn.handler.startsWith(exampleHandlersDir);
      const handler = makeFunction(`Handler-${fnName}`, name(fnName), {
        handler: fn.handler,
        timeout: fn.timeoutSec,
        memorySize: fn.memoryMb,
        environment: {
          ...fn.environment,
          ...(usesProcessed ? { [EnvVar.ProcessedTable]: processedTable.tableName } : {}),
        },
        ...(fn.reservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: fn.reservedConcurrency }
          : {}),
        recursiveLoop: lambda.RecursiveLoop.TERMINATE,
      });
      if (usesProcessed) allow(handler, ["dynamodb:UpdateItem"], [processedTable.tableArn]);
      return handler;
    }

    // Queues: imported by ARN or by name, or created with a DLQ and redrive policy.
    const queues: RoutedQueue[] = registry.routes.map((route) => createQueue(route));
    function createQueue(route: RouteConfig): RoutedQueue {
      const queueName = route.queue.name;
      const id = `Queue-${queueName.replace(/\./g, "-")}`;
      if (route.queue.arn !== undefined) {
        const imported = new Queue(stack, id, {
          cdk: { queue: sqs.Queue.fromQueueArn(stack, `${id}-Imported`, route.queue.arn) },
        });
        return { name: queueName, queue: imported.cdk.queue, imported: true };
      }
      if (route.queue.import === true) {
        const imported = new Queue(stack, id, {
          cdk: { queue: importQueueByName(stack, `${id}-Imported`, queueName) },
        });
        return { name: queueName, queue: imported.cdk.queue, imported: true };
      }
      const fifo = queueName.endsWith(".fifo");
      const dlq = new Queue(stack, `${id}-Dlq`, {
        cdk: {
          queue: {
            queueName: deadLetterQueueName(queueName),
            fifo: fifo || undefined,
            retentionPeriod: Duration.seconds(AwsLimits.sqsRetentionMaxSec),
            enforceSSL: true,
            removalPolicy: RemovalPolicy.RETAIN,
          },
        },
      });
      const queue = new Queue(stack, id, {
        cdk: {
          queue: {
            queueName,
            fifo: fifo || undefined,
            visibilityTimeout: Duration.seconds(route.queue.visibilityTimeoutSec),
            retentionPeriod: Duration.seconds(route.queue.retentionSec),
            deadLetterQueue: { queue: dlq.cdk.queue, maxReceiveCount: route.queue.maxReceiveCount },
            enforceSSL: true,
            // Messages are the user's data: removing the stack must not delete them (as with the tables).
            removalPolicy: RemovalPolicy.RETAIN,
          },
        },
      });
      return { name: queueName, queue: queue.cdk.queue, deadLetterQueue: dlq.cdk.queue, imported: false };
    }
    // The registry's queues plus those run-time routes may target (`routableQueues`, names or prefixes):
    // the poller and the scale functions are granted exactly these, and `routes set` refuses any other.
    const routedQueueArns = [
      ...queues.map((q) => q.queue.queueArn),
      ...registry.routableQueues.map((entry) => stack.formatArn({ service: "sqs", resource: entry })),
    ];

    /** `invoke:<registry function>` names the deployed function at run time, as `functionName` does. */
    function physicalNoMatch(onNoMatch: string): string {
      const action = parseNoMatchAction(onNoMatch);
      return action?.kind === NoMatchKind.Invoke
        ? formatNoMatchAction({ ...action, functionName: name(action.functionName) })
        : onNoMatch;
    }
    /** Queues that routes forward unmatched messages to (`forward:<queue>`, the stack's account and region). */
    const forwardTargetArns = [
      ...new Set(
        registry.routes.flatMap((route) => {
          const action = route.onNoMatch === undefined ? undefined : parseNoMatchAction(route.onNoMatch);
          return action?.kind === NoMatchKind.Forward ? [action.queueName] : [];
        }),
      ),
    ].map((queueName) => stack.formatArn({ service: "sqs", resource: queueName }));

    // The routes: the registry's, with physical queue URLs and function names (CloudFormation tokens).
    const registryRoutes = registry.routes.map((route, i) => {
      const routed = queues[i];
      const handler = handlerFunctions.get(route.function);
      if (!routed || !handler)
        throw new StackConfigurationError(`route '${route.queue.name}' has no queue or function`);
      const stored: Omit<Route, "source" | "updatedAt"> = {
        queueName: route.queue.name,
        queueUrl: routed.queue.queueUrl,
        functionName: handler.functionName,
        batchSize: route.batchSize,
        batchWindowSec: route.batchWindowSec,
        concurrency: route.concurrency,
        minLoops: route.minLoops,
        maxLoops: route.maxLoops,
        scaleStep: route.scaleStep,
        alarms: route.alarms,
        scaling: route.scaling,
        paused: route.paused,
        idle: route.idle,
        ...(route.filters !== undefined ? { filters: route.filters } : {}),
        ...(route.onNoMatch !== undefined ? { onNoMatch: physicalNoMatch(route.onNoMatch) } : {}),
        ...(route.maxRate !== undefined ? { maxRate: route.maxRate } : {}),
      };
      // URL and function name are deploy-time tokens; check everything else against the schema now.
      parseRoute({
        ...stored,
        queueUrl: `https://sqs.us-east-1.amazonaws.com/000000000000/${route.queue.name}`,
        functionName: name(route.function),
      });
      return stored;
    });
    /** The ARN of the routes path itself (`.../parameter/<app>/<stage>/routes`); append `/*` for the routes. */
    const routesParameterArn = () =>
      stack.formatArn({
        service: "ssm",
        resource: "parameter",
        resourceName: (routesPath ?? "").replace(/^\/|\/$/g, ""),
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    const grantRoutesRead = (fn: SstFunction) => {
      if (routesPath !== undefined) {
        const base = routesParameterArn();
        allow(fn, ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"], [base, `${base}/*`]);
      }
      if (routesTable)
        allow(fn, ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"], [routesTable.tableArn]);
    };

    // The route store is written by a custom resource, not by CloudFormation: on every deploy it applies
    // the same redeploy-versus-edit rule as the local deploy (`planRouteSync`, see routeSync.ts), which
    // needs the stored routes, and CloudFormation cannot read those.
    const routeStoreEnvironment: Record<string, string> = {
      [EnvVar.RouteStore]: settings.routeStore,
      ...(routesPath !== undefined ? { [EnvVar.RoutesPath]: routesPath } : {}),
      ...(routesTable ? { [EnvVar.RoutesTable]: routesTable.tableName } : {}),
    };
    const routeSyncFunction = makeFunction("RouteSyncFunction", name(StackFunction.RouteSync), {
      handler: PlatformHandler.routeSync,
      // One write per route, sequentially, within SSM's put throughput; generous for large registries.
      timeout: 300,
      memorySize: 256,
      environment: routeStoreEnvironment,
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
    });
    if (routesPath !== undefined) {
      const base = routesParameterArn();
      allow(routeSyncFunction, ["ssm:GetParametersByPath"], [base, `${base}/*`]);
      allow(routeSyncFunction, ["ssm:PutParameter", "ssm:DeleteParameter"], [`${base}/*`]);
    }
    if (routesTable) {
      allow(
        routeSyncFunction,
        ["dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteItem"],
        [routesTable.tableArn],
      );
    }
    // The Provider framework answers CloudFormation (success, failure, response URL) for the function.
    // Named and given its own log group like every function here (no LogRetention custom resource).
    const providerName = name(StackFunction.RouteSyncProvider);
    const routeSyncProvider = new cr.Provider(stack, "RouteSyncProvider", {
      onEventHandler: routeSyncFunction,
      providerFunctionName: providerName,
      // The framework logs each response it sends CloudFormation; the default (FATAL) hides why a deploy hangs.
      frameworkLambdaLoggingLevel: lambda.ApplicationLogLevel.INFO,
      logGroup: new logs.LogGroup(stack, "RouteSyncProviderLogs", {
        logGroupName: `/aws/lambda/${providerName}`,
        retention: logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    const frameworkFunction = routeSyncProvider.node.findChild("framework-onEvent").node
      .defaultChild as lambda.CfnFunction;
    frameworkFunction.recursiveLoop = lambda.RecursiveLoop.TERMINATE;
    const routeSyncProperties: RouteSyncProperties = {
      Routes: stack.toJsonString(registryRoutes),
      ResetRoutes: (options.resetRoutes ?? resetRoutesFromEnv()) ? "true" : "false",
      RouteStore: routesPath !== undefined ? `ssm:${routesPath}` : `dynamodb:${routesTable?.tableName ?? ""}`,
      DeployId: options.deployId ?? new Date().toISOString(),
    };
    const routeSync = new CustomResource(stack, "RouteSync", {
      serviceToken: routeSyncProvider.serviceToken,
      resourceType: "Custom::RouteSync",
      properties: routeSyncProperties,
    });

    // The poller: the one function allowed to invoke itself indefinitely.
    const poller = makeFunction("Poller", pollerName, {
      handler: PlatformHandler.poller,
      timeout: settings.poller.timeoutSec,
      memorySize: settings.poller.memoryMb,
      environment: platformEnvironment,
      recursiveLoop: lambda.RecursiveLoop.ALLOW,
    });
    // DeleteMessageBatch and ChangeMessageVisibilityBatch are authorized as their single forms.
    allow(
      poller,
      ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
      routedQueueArns,
    );
    // The ARN is built from the name: a GetAtt on the poller itself would be a dependency cycle.
    const pollerArn = functionArn(stack, pollerName);
    allow(
      poller,
      ["lambda:InvokeFunction"],
      [pollerArn, ...functionEntries.map(([fnName]) => functionArn(stack, name(fnName)))],
    );
    allow(poller, ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"], [tokensTable.tableArn]);
    grantRoutesRead(poller);
    // onNoMatch "forward:<queue>": SendMessageBatch is authorized as SendMessage.
    if (forwardTargetArns.length > 0) {
      allow(poller, ["sqs:GetQueueUrl", "sqs:SendMessage"], forwardTargetArns);
    }

    // Restart: claims stale tokens and reconciles loop counts on a schedule.
    const restart = platformFunction(stack, "Restart", PlatformFunction.Restart, PlatformHandler.restart, {
      timeout: 300,
    });
    allow(
      restart,
      [
        "dynamodb:Scan",
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
      ],
      [tokensTable.tableArn],
    );
    grantRoutesRead(restart);
    allow(restart, ["lambda:InvokeFunction"], [pollerArn]);
    // Depth-mode scaling reads queue depth during reconcile.
    allow(restart, ["sqs:GetQueueAttributes"], routedQueueArns);
    // ...and with maxAgeSec the age of the oldest message, which only CloudWatch reports
    // (GetMetricStatistics has no resource-level permissions).
    if (registry.routes.some((r) => r.scaling.mode === "depth" && r.scaling.maxAgeSec !== undefined)) {
      allow(restart, ["cloudwatch:GetMetricStatistics"], ["*"]);
    }
    const scheduleMinutes = restartScheduleMinutes(settings.restart.intervalSec);
    new Cron(stack, "RestartSchedule", {
      schedule: `rate(${scheduleMinutes} ${scheduleMinutes === 1 ? "minute" : "minutes"})`,
      job: restart,
    });

    // Scaling: alarm → topic → function. The scale functions remember each alarm transition
    // they acted on (a duplicate SNS delivery scales once); TTL keeps the table small.
    const scalingEventsTable = new Table(stack, "ScalingEvents", {
      fields: { eventKey: "string" },
      primaryIndex: { partitionKey: "eventKey" },
      timeToLiveAttribute: "expiresAt",
      cdk: {
        table: {
          tableName: name("scaling-events"),
          billingMode: BillingMode.PAY_PER_REQUEST,
          pointInTimeRecovery: false,
        },
      },
    });
    // Topic ARNs from their names: the functions need them in their environment, and a GetAtt of a
    // topic that subscribes the function would be a dependency cycle.
    const topicArnOf = (topicName: string) => stack.formatArn({ service: "sns", resource: topicName });
    const alarmNamePrefix = name("");
    const scaleFunction = (id: string, logical: string, handler: string, topicName: string) => {
      const fn = platformFunction(stack, id, logical, handler, {
        timeout: 60,
        environment: {
          [EnvVar.ScalingEventsTable]: scalingEventsTable.tableName,
          // A notification from another topic, or about an alarm outside this prefix, is forged.
          [EnvVar.ScaleTopicArn]: topicArnOf(topicName),
          [EnvVar.AlarmNamePrefix]: alarmNamePrefix,
        },
      });
      // Transitions (claim/release) and the per-queue scaling lock (conditional put/delete).
      allow(fn, ["dynamodb:PutItem", "dynamodb:DeleteItem"], [scalingEventsTable.tableArn]);
      allow(
        fn,
        [
          "dynamodb:Query",
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ],
        [tokensTable.tableArn],
      );
      grantRoutesRead(fn);
      allow(fn, ["lambda:InvokeFunction"], [pollerArn]);
      allow(fn, ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"], routedQueueArns);
      return fn;
    };
    const scaleUpTopicName = name("scale-up");
    const scaleDownTopicName = name("scale-down");
    const scaleUp = scaleFunction(
      "ScaleUp",
      PlatformFunction.ScaleUp,
      PlatformHandler.scaleUp,
      scaleUpTopicName,
    );
    const scaleDown = scaleFunction(
      "ScaleDown",
      PlatformFunction.ScaleDown,
      PlatformHandler.scaleDown,
      scaleDownTopicName,
    );
    const scaleUpTopic = new Topic(stack, "ScaleUpTopic", {
      cdk: { topic: { topicName: scaleUpTopicName, enforceSSL: true } },
      subscribers: { scaleUp },
    });
    const scaleDownTopic = new Topic(stack, "ScaleDownTopic", {
      cdk: { topic: { topicName: scaleDownTopicName, enforceSSL: true } },
      subscribers: { scaleDown },
    });
    // Only CloudWatch, for this stage's alarms, may publish: anyone else in the account with
    // sns:Publish could otherwise forge an ALARM and start loops.
    const stageAlarms = stack.formatArn({
      service: "cloudwatch",
      resource: "alarm",
      resourceName: `${alarmNamePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    for (const topic of [scaleUpTopic.cdk.topic, scaleDownTopic.cdk.topic]) {
      restrictToStageAlarms(topic, stageAlarms, stack.account);
    }

    // One alarm per route tier, wired to both topics: ALARM scales up, OK scales down.
    for (const route of registry.routes) {
      route.alarms.forEach((tier, i) => {
        const alarm = new cloudwatch.Alarm(stack, `Alarm-${route.queue.name.replace(/\./g, "-")}-${i + 1}`, {
          // Named "-depth-<n>" whatever the metric: the tier's number is what names it (status and the local deploy rely on it).
          alarmName: name(`${route.queue.name}-depth-${i + 1}`),
          alarmDescription: tierDescription(route.queue.name, i + 1, tier),
          metric: new cloudwatch.Metric({
            namespace: "AWS/SQS",
            metricName: tierMetricName(tier),
            dimensionsMap: { QueueName: route.queue.name },
            period: Duration.seconds(tier.periodSec),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: tier.threshold,
          evaluationPeriods: tier.evaluationPeriods,
          datapointsToAlarm: tier.datapointsToAlarm ?? tier.evaluationPeriods,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // SQS stops publishing for an idle queue: missing data means "nothing waiting".
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(new SnsAction(scaleUpTopic.cdk.topic));
        alarm.addOkAction(new SnsAction(scaleDownTopic.cdk.topic));
      });
    }

    const dashboardName = name("dashboard");
    createDispatcherDashboard(stack, {
      dashboardName,
      stage,
      queues: queues.map((q) => ({
        name: q.name,
        queue: q.queue,
        ...(q.deadLetterQueue ? { deadLetterQueue: q.deadLetterQueue } : {}),
      })),
    });

    stack.addOutputs({
      Dashboard: dashboardUrl(stack.region, dashboardName),
      TokensTable: tokensTable.tableName,
      PollerFunction: pollerName,
      RouteStore: routesPath ?? routesTable?.tableName ?? "",
      RestartEveryMinutes: String(scheduleMinutes),
      // Drift made visible at each deploy, as the local deploy prints it: queues whose run-time edit was kept.
      RouteEditsKept: routeSync.getAttString("KeptEdits"),
    });

    return {
      registry,
      stage,
      tokensTable,
      ...(routesTable ? { routesTable } : {}),
      ...(routesPath !== undefined ? { routesPath } : {}),
      poller,
      queues,
      platformEnvironment,
      grantRoutesRead,
      platformFunction,
      resourceName: name,
    };
  };
}

/** The stack of this project's registry (`dispatcher.config.ts`). */
export const Dispatcher = createDispatcherStack(registry);
