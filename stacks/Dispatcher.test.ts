import { rm } from "node:fs/promises";
import { join } from "node:path";
import { defineDispatcher, parseRoute, type Route } from "@sqs-dispatcher/config";
import { PollerMetric, type RouteStore, silentLogger } from "@sqs-dispatcher/core";
import { createRouteSync } from "@sqs-dispatcher/functions/routeSync";
import { cloudFormationRequestSchema } from "@sqs-dispatcher/functions/runtime/cloudFormationRequest";
import { joinRouteSyncSpec } from "@sqs-dispatcher/functions/runtime/routeSyncSpec";
import { Match, Template } from "aws-cdk-lib/assertions";
import { getStack } from "sst/constructs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAdminApiStack } from "./AdminApi.js";
import {
  createDispatcherStack,
  deadLetterQueueName,
  resetRoutesFromEnv,
  restartScheduleMinutes,
  StackConfigurationError,
} from "./Dispatcher.js";
import {
  actionsOf,
  render,
  resourcesOf,
  resourcesOfStatement,
  type Statement,
  synthesizeApp,
  synthFolder,
} from "./stackTemplates.testkit.js";

/** Three routes: a FIFO queue, a queue with three alarm tiers, and an imported queue. */
const registry = defineDispatcher({
  app: "shop",
  functions: {
    record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 30 },
    middyRecord: {
      handler: "packages/functions/src/handlers/middyRecord.handler",
      timeoutSec: 20,
      memoryMb: 512,
    },
  },
  routes: [
    {
      queue: { name: "payments.fifo", maxReceiveCount: 4 },
      function: "record",
      alarms: [{ threshold: 100 }],
    },
    {
      queue: { name: "orders", visibilityTimeoutSec: 120, retentionSec: 86_400 },
      function: "middyRecord",
      maxLoops: 8,
      alarms: [
        { threshold: 100, periodSec: 60, evaluationPeriods: 1 },
        { threshold: 1_000, periodSec: 60, evaluationPeriods: 2, datapointsToAlarm: 2 },
        { threshold: 5_000, periodSec: 120, evaluationPeriods: 3, datapointsToAlarm: 2 },
      ],
    },
    {
      queue: { name: "legacy", arn: "arn:aws:sqs:us-east-1:123456789012:legacy" },
      function: "record",
      alarms: [{ threshold: 50 }],
    },
  ],
  restart: { intervalSec: 90 },
  examples: true,
});

const Dispatcher = createDispatcherStack(registry);
const AdminApi = createAdminApiStack(Dispatcher);

/**
 * A second registry on the DynamoDB route store, with a queue imported by name, the route
 * policies (filters that forward or invoke instead of deleting, a rate limit, an age tier), its own
 * handler (no examples) and queues that run-time routes may target by prefix.
 */
const ledgerRegistry = defineDispatcher({
  app: "ledger",
  // The user's own handler, and no `examples`: nothing of the examples may reach AWS.
  functions: { noop: { handler: "test/fixtures/functions/failOnlyRecord.handler", timeoutSec: 10 } },
  routes: [
    {
      queue: { name: "entries" },
      function: "noop",
      filters: [{ body: { kind: ["entry"] } }],
      onNoMatch: "forward:entries-parked",
      maxRate: 50,
      scaling: { mode: "depth", targetPerLoop: 100, maxAgeSec: 120 },
    },
    {
      queue: { name: "legacy-orders", import: true },
      function: "noop",
      alarms: [{ threshold: 10 }, { metric: "age", threshold: 300 }],
      filters: [{ messageAttributes: { tenant: { stringValue: [{ prefix: "acme-" }] } } }],
      onNoMatch: "invoke:noop",
    },
  ],
  restart: { intervalSec: 20 },
  routeStore: { default: "ssm", stages: { test: "dynamodb" } },
  routableQueues: ["ledger-reports-*"],
});
const LedgerDispatcher = createDispatcherStack(ledgerRegistry, { resetRoutes: true, deployId: "ledger-1" });

let outdir = "";
let dispatcher: Template;
let admin: Template;
let ledger: Template;
/** The account SST's test app synthesizes for (ARNs name it literally). */
let account = "";
let ledgerAccount = "";

beforeAll(async () => {
  // The shop stack takes the reset flag from the environment, as `pnpm sst deploy` does.
  vi.stubEnv("DISPATCHER_RESET_ROUTES", "0");
  outdir = await synthFolder("synth-");
  // Bundles every function with esbuild: a handler that does not build fails here.
  await synthesizeApp(outdir, [
    [Dispatcher, "Dispatcher"],
    [AdminApi, "AdminApi"],
  ]);
  dispatcher = Template.fromStack(getStack(Dispatcher));
  admin = Template.fromStack(getStack(AdminApi));
  account = getStack(Dispatcher).account;
  // SST wants construct ids unique across an app, so the second registry gets its own app.
  await synthesizeApp(join(outdir, "ledger"), [[LedgerDispatcher, "LedgerDispatcher"]]);
  ledger = Template.fromStack(getStack(LedgerDispatcher));
  ledgerAccount = getStack(LedgerDispatcher).account;
}, 180_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

/** The logical id of the function whose FunctionName is `name`. */
function functionId(template: Template, name: string): string {
  const found = Object.entries(resourcesOf(template, "AWS::Lambda::Function")).find(
    ([, r]) => r.Properties?.FunctionName === name,
  );
  if (!found) throw new Error(`no function named ${name}`);
  return found[0];
}

/** Every Allow statement of the policies attached to the role of function `name`. */
function statementsOf(template: Template, name: string): Statement[] {
  const fn = resourcesOf(template, "AWS::Lambda::Function")[functionId(template, name)];
  const role = (fn?.Properties?.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  return Object.values(resourcesOf(template, "AWS::IAM::Policy"))
    .filter((p) => (p.Properties?.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The route-sync parameters the stack writes (tokens rendered as `${Id}`), by name. */
function routeSyncParameters(template: Template, app: string): Map<string, string> {
  return new Map(
    Object.values(resourcesOf(template, "AWS::SSM::Parameter"))
      .filter((p) => String(p.Properties?.Name).startsWith(`/${app}/test/route-sync/`))
      .map((p) => [String(p.Properties?.Name), render(p.Properties?.Value)]),
  );
}

/** The deploy's route-sync spec as route-sync would read it from those parameters. */
function routeSyncSpecOf(template: Template, app: string) {
  const values = routeSyncParameters(template, app);
  const spec = joinRouteSyncSpec(values, [...values.keys()].sort());
  return { ...spec, routes: spec.routes as Record<string, unknown>[] };
}

const allStatements = () =>
  [dispatcher, admin, ledger].flatMap((t) =>
    Object.values(resourcesOf(t, "AWS::IAM::Policy")).flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
    ),
  );

const handlerNames = ["shop-test-record", "shop-test-middyRecord"];
const platformNames = [
  "shop-test-poller",
  "shop-test-restart",
  "shop-test-scale-up",
  "shop-test-scale-down",
  "shop-test-admin-api",
  // The route sync custom resource's function (its ServiceToken: no Provider framework in front).
  "shop-test-route-sync",
];

describe("Dispatcher stack", () => {
  it("creates the platform functions, one function per registry handler, and nothing else", () => {
    const functions = [dispatcher, admin].flatMap((t) =>
      Object.entries(resourcesOf(t, "AWS::Lambda::Function")),
    );
    const names = functions.map(([, r]) => r.Properties?.FunctionName).filter((n) => typeof n === "string");
    expect(names.sort()).toEqual([...platformNames, ...handlerNames].sort());
    // Besides ours (the route sync's provider is named too), only SST's own stack-metadata
    // handler, one per stack: no LogRetention function, no AwsCustomResource singleton.
    const others = functions.filter(([, r]) => r.Properties?.FunctionName === undefined).map(([id]) => id);
    expect(others).toHaveLength(2);
    for (const id of others) expect(id).toMatch(/^CustomResourceHandler/);
  });

  it("sets the poller to RecursiveLoop Allow and every other function to Terminate", () => {
    for (const template of [dispatcher, admin]) {
      for (const fn of Object.values(resourcesOf(template, "AWS::Lambda::Function"))) {
        if (fn.Properties?.FunctionName === undefined) {
          expect(fn.Properties?.RecursiveLoop).not.toBe("Allow");
          continue;
        }
        const expected = fn.Properties?.FunctionName === "shop-test-poller" ? "Allow" : "Terminate";
        expect({ name: fn.Properties?.FunctionName, loop: fn.Properties?.RecursiveLoop }).toEqual({
          name: fn.Properties?.FunctionName,
          loop: expected,
        });
      }
    }
  });

  it("gives the poller its timeout and memory, and every function a log group with retention", () => {
    dispatcher.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "shop-test-poller",
      Timeout: 900,
      MemorySize: 512,
      // The registry's default limits: maxLoopsTotal 200 + max(10, 25 %) headroom.
      ReservedConcurrentExecutions: 250,
      Environment: {
        Variables: Match.objectLike({
          TOKENS_TABLE: Match.anyValue(),
          ROUTE_STORE: "ssm",
          ROUTES_PATH: "/shop/test/routes/",
          POLLER_FUNCTION_NAME: "shop-test-poller",
          LIMITS_MAX_LOOPS_PER_ROUTE: "50",
          LIMITS_MAX_LOOPS_TOTAL: "200",
          POLLER_WAIT_TIME_SEC: "20",
          POLLER_MARGIN_SEC: "5",
          POLLER_RENEW_EVERY_SEC: "60",
          ROUTE_CACHE_TTL_SEC: "10",
          MAX_HANDLER_TIMEOUT_SEC: "30",
          RESTART_STALE_AFTER_SEC: "960",
          RESTART_START_GRACE_SEC: "120",
        }),
      },
    });
    dispatcher.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "shop-test-middyRecord",
      Timeout: 20,
      MemorySize: 512,
      Environment: { Variables: Match.objectLike({ PROCESSED_TABLE: Match.anyValue() }) },
    });
    const groups = [dispatcher, admin].flatMap((t) => Object.values(resourcesOf(t, "AWS::Logs::LogGroup")));
    expect(groups.map((g) => g.Properties?.LogGroupName).sort()).toEqual(
      [
        ...[...platformNames, ...handlerNames].map((n) => `/aws/lambda/${n}`),
        // The admin API stage's access log.
        "/aws/apigateway/shop-test-admin-api/access",
      ].sort(),
    );
    for (const g of groups) expect(g.Properties?.RetentionInDays).toBe(14);
    for (const t of [dispatcher, admin]) {
      for (const fn of Object.values(resourcesOf(t, "AWS::Lambda::Function"))) {
        if (fn.Properties?.FunctionName === undefined) continue;
        expect(fn.Properties?.LoggingConfig).toHaveProperty("LogGroup");
      }
    }
  });

  it("creates the tokens table with its keys, on demand, with point-in-time recovery", () => {
    dispatcher.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "shop-test-tokens",
      KeySchema: [
        { AttributeName: "queueUrl", KeyType: "HASH" },
        { AttributeName: "token", KeyType: "RANGE" },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: "queueUrl", AttributeType: "S" },
        { AttributeName: "token", AttributeType: "S" },
      ]),
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    dispatcher.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "shop-test-processed",
      KeySchema: [{ AttributeName: "messageId", KeyType: "HASH" }],
    });
    dispatcher.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "shop-test-scaling-events",
      KeySchema: [{ AttributeName: "eventKey", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
    dispatcher.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "shop-test-scale-up",
      Environment: { Variables: Match.objectLike({ SCALING_EVENTS_TABLE: Match.anyValue() }) },
    });
  });

  it("creates the routed queues with a DLQ and redrive policy, FIFO with a FIFO DLQ, and not the imported one", () => {
    const queues = Object.values(resourcesOf(dispatcher, "AWS::SQS::Queue"));
    expect(queues.map((q) => q.Properties?.QueueName).sort()).toEqual(
      ["orders", "orders-dlq", "payments-dlq.fifo", "payments.fifo"].sort(),
    );
    dispatcher.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "orders",
      VisibilityTimeout: 120,
      MessageRetentionPeriod: 86_400,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
    dispatcher.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "payments.fifo",
      FifoQueue: true,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 4 },
    });
    dispatcher.hasResourceProperties("AWS::SQS::Queue", { QueueName: "payments-dlq.fifo", FifoQueue: true });
    expect(deadLetterQueueName("a.fifo")).toBe("a-dlq.fifo");
    for (const q of Object.values(dispatcher.findResources("AWS::SQS::Queue"))) {
      expect(q.DeletionPolicy).toBe("Retain");
    }
  });

  it("writes the routes through one route sync custom resource whose properties carry no routes", () => {
    // SST writes its own `/sst/...` metadata parameters; no route is a CloudFormation resource, and the
    // only parameters of the app are the deploy's route-sync spec, beside the routes path.
    const params = Object.values(resourcesOf(dispatcher, "AWS::SSM::Parameter")).filter((p) =>
      String(p.Properties?.Name).startsWith("/shop/"),
    );
    expect(params.map((p) => p.Properties?.Name)).toEqual(["/shop/test/route-sync/0"]);
    expect(params[0]?.Properties?.Tier).toBe("Standard");
    const syncs = Object.values(resourcesOf(dispatcher, "Custom::RouteSync"));
    expect(syncs).toHaveLength(1);
    const props = syncs[0]?.Properties ?? {};
    expect(render(props.ServiceToken)).toBe(`\${${functionId(dispatcher, "shop-test-route-sync")}.Arn}`);
    expect(props).toMatchObject({ RouteStore: "ssm:/shop/test/routes/", ServiceTimeout: "360" });
    expect(props.DeployId).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Object.keys(props).sort()).toEqual(["DeployId", "RouteStore", "ServiceTimeout", "ServiceToken"]);
    // The parameters are written before the sync runs (and restored before it on a rollback).
    const paramId = Object.entries(resourcesOf(dispatcher, "AWS::SSM::Parameter")).find(
      ([, p]) => p.Properties?.Name === "/shop/test/route-sync/0",
    )?.[0];
    expect(dispatcher.toJSON().Resources.RouteSync?.DependsOn).toContain(paramId);

    const spec = routeSyncSpecOf(dispatcher, "shop");
    expect(spec).toMatchObject({ deployId: props.DeployId, resetRoutes: false });
    const routes = spec.routes;

    const ref = (id: string) => `\${${id}}`;
    const fn = (name: string) => ref(functionId(dispatcher, name));
    const queue = (name: string) =>
      ref(
        Object.entries(resourcesOf(dispatcher, "AWS::SQS::Queue")).find(
          ([, q]) => q.Properties?.QueueName === name,
        )?.[0] ?? "missing",
      );
    expect(routes).toEqual([
      {
        queueName: "payments.fifo",
        queueUrl: queue("payments.fifo"),
        functionName: fn("shop-test-record"),
        batchSize: 10,
        batchWindowSec: 0,
        concurrency: 4,
        minLoops: 1,
        maxLoops: 1,
        scaleStep: 1,
        alarms: [{ threshold: 100, periodSec: 60, evaluationPeriods: 1 }],
        scaling: { mode: "alarm" },
        paused: false,
        idle: "shared",
      },
      expect.objectContaining({
        queueName: "orders",
        queueUrl: queue("orders"),
        functionName: fn("shop-test-middyRecord"),
        maxLoops: 8,
        alarms: [
          { threshold: 100, periodSec: 60, evaluationPeriods: 1 },
          { threshold: 1_000, periodSec: 60, evaluationPeriods: 2, datapointsToAlarm: 2 },
          { threshold: 5_000, periodSec: 120, evaluationPeriods: 3, datapointsToAlarm: 2 },
        ],
      }),
      expect.objectContaining({
        queueName: "legacy",
        queueUrl: `https://sqs.us-east-1.${ref("AWS::URLSuffix")}/123456789012/legacy`,
        functionName: fn("shop-test-record"),
      }),
    ]);
    // Neither where a route came from nor when: the function stamps `source: "deploy"` and the time.
    for (const r of routes) expect(Object.keys(r)).not.toContain("source");
    dispatcher.hasOutput("RouteEditsKept", { Value: { "Fn::GetAtt": ["RouteSync", "KeptEdits"] } });
  });

  it("gives the route sync function the properties and parameters its handler accepts (stack and handler agree)", async () => {
    const props = resourcesOf(dispatcher, "Custom::RouteSync").RouteSync?.Properties ?? {};
    // Resolve the tokens as CloudFormation would: physical queue URLs and function names.
    const resolve = (value: string) =>
      value
        .replace(/\$\{AWS::URLSuffix\}/g, "amazonaws.com")
        // Each queue's own URL: a route's URL must end in its queue's name.
        .replace(
          /\$\{(Queue[^}]+)\}/g,
          (_, id: string) =>
            `https://sqs.us-east-1.amazonaws.com/123456789012/${String(resourcesOf(dispatcher, "AWS::SQS::Queue")[id]?.Properties?.QueueName)}`,
        )
        .replace(/\$\{Handler[^}]+\}/g, "shop-test-record");
    const resolved = Object.fromEntries(
      Object.entries(props).map(([key, value]) => [key, resolve(render(value))]),
    );
    const parameters = new Map(
      [...routeSyncParameters(dispatcher, "shop")].map(([name, value]) => [name, resolve(value)]),
    );
    const stored = new Map<string, Route>();
    const store: RouteStore = {
      get: async (q) => stored.get(q),
      list: async () => [...stored.values()],
      put: async (r) => void stored.set(r.queueName, parseRoute(r)),
      delete: async (q) => stored.delete(q),
    };
    const sync = createRouteSync({
      routes: store,
      location: "ssm:/shop/test/routes/",
      spec: { read: async () => joinRouteSyncSpec(parameters, [...parameters.keys()]) },
      clock: { now: () => 1, monotonic: () => 1, sleep: async () => {} },
      logger: silentLogger,
    });
    const response = await sync.onEvent(
      cloudFormationRequestSchema.parse({
        RequestType: "Create",
        ServiceToken: resolved.ServiceToken,
        ResponseURL: "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
        StackId: "arn:aws:cloudformation:us-east-1:123456789012:stack/shop-test-Dispatcher/1",
        RequestId: "r",
        LogicalResourceId: "RouteSync",
        ResourceType: "Custom::RouteSync",
        ResourceProperties: resolved,
      }),
    );
    expect(response.Data.Written).toBe("3");
    expect([...stored.keys()].sort()).toEqual(["legacy", "orders", "payments.fifo"]);
  });

  it("bundles the route sync function with the route store's environment, its spec's parameters and the resource it serves", () => {
    dispatcher.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "shop-test-route-sync",
      Handler: "packages/functions/src/routeSync.handler",
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          ROUTE_STORE: "ssm",
          ROUTES_PATH: "/shop/test/routes/",
          ROUTE_SYNC_SPEC_PARAMETERS: "/shop/test/route-sync/0",
          DISPATCHER_STACK_ID: { Ref: "AWS::StackId" },
          ROUTE_SYNC_RESOURCE_ID: "RouteSync",
        }),
      },
    });
  });

  it("reads the reset flag from DISPATCHER_RESET_ROUTES, refusing values it does not know", () => {
    expect(resetRoutesFromEnv({})).toBe(false);
    expect(resetRoutesFromEnv({ DISPATCHER_RESET_ROUTES: "0" })).toBe(false);
    expect(resetRoutesFromEnv({ DISPATCHER_RESET_ROUTES: "1" })).toBe(true);
    expect(resetRoutesFromEnv({ DISPATCHER_RESET_ROUTES: "true" })).toBe(true);
    expect(() => resetRoutesFromEnv({ DISPATCHER_RESET_ROUTES: "yes" })).toThrow(StackConfigurationError);
    expect(() => resetRoutesFromEnv({ DISPATCHER_RESET_ROUTES: "yes" })).toThrow(
      "DISPATCHER_RESET_ROUTES must be 1, true, 0 or false (got 'yes')",
    );
  });

  it("has one alarm per tier on the SQS depth metric, wired to the scale-up and scale-down topics", () => {
    const alarms = Object.values(resourcesOf(dispatcher, "AWS::CloudWatch::Alarm"));
    expect(alarms).toHaveLength(5);
    const topics = resourcesOf(dispatcher, "AWS::SNS::Topic");
    const upId = Object.entries(topics).find(
      ([, t]) => t.Properties?.TopicName === "shop-test-scale-up",
    )?.[0];
    const downId = Object.entries(topics).find(
      ([, t]) => t.Properties?.TopicName === "shop-test-scale-down",
    )?.[0];
    expect(upId && downId).toBeTruthy();
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        AlarmActions: [{ Ref: upId }],
        OKActions: [{ Ref: downId }],
      });
    }
    dispatcher.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "shop-test-orders-depth-3",
      Dimensions: [{ Name: "QueueName", Value: "orders" }],
      Threshold: 5_000,
      Period: 120,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    dispatcher.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Dimensions: [{ Name: "QueueName", Value: "legacy" }],
      Threshold: 50,
    });
  });

  it("has one dashboard for the stage, a row per route, plotting the metrics the poller emits", () => {
    const dashboards = Object.values(resourcesOf(dispatcher, "AWS::CloudWatch::Dashboard"));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties?.DashboardName).toBe("shop-test-dashboard");
    // The body is a Fn::Join of JSON text around deploy-time tokens (queue names, ARNs).
    const body = dashboards[0]?.Properties?.DashboardBody as { "Fn::Join": [string, unknown[]] } | string;
    const text =
      typeof body === "string"
        ? body
        : body["Fn::Join"][1].map((part) => (typeof part === "string" ? part : "TOKEN")).join("");
    const widgets = (
      JSON.parse(text) as { widgets: { properties: { title?: string; metrics?: unknown[][] } }[] }
    ).widgets;
    const titles = widgets.map((w) => w.properties.title).filter(Boolean);
    for (const queue of ["payments.fifo", "orders", "legacy"]) {
      expect(titles).toEqual(
        expect.arrayContaining([
          `${queue}: depth`,
          `${queue}: messages / min`,
          `${queue}: handler duration (ms)`,
          `${queue}: loops and throttles / min`,
        ]),
      );
    }
    const ownMetrics = widgets
      .flatMap((w) => w.properties.metrics ?? [])
      .filter((m) => m[0] === "SqsDispatcher") as string[][];
    const emitted = new Set<string>(Object.values(PollerMetric));
    // Every plotted metric is one the poller emits, with the stage's dimensions.
    for (const m of ownMetrics) {
      expect(emitted.has(m[1] ?? "")).toBe(true);
      const dims = m.slice(2, 6);
      expect(dims[dims.indexOf("Stage") + 1]).toBe("test");
      expect(dims).toContain("Queue");
    }
    const plotted = new Set(ownMetrics.map((m) => m[1]));
    for (const metric of [
      PollerMetric.MessagesReceived,
      PollerMetric.MessagesSucceeded,
      PollerMetric.MessagesFailed,
      PollerMetric.HandlerDuration,
      PollerMetric.HandlerThrottles,
      PollerMetric.HandlerNotRun,
      PollerMetric.LeaseLosses,
      PollerMetric.Recursions,
      PollerMetric.BatchesInFlight,
    ]) {
      expect(plotted.has(metric)).toBe(true);
    }
    expect(text).toContain('"stat":"p99"');
    // The DLQ of a created queue is plotted; the imported queue has none the stack knows.
    expect(text.match(/"label":"DLQ"/g)).toHaveLength(2);
    dispatcher.hasOutput("Dashboard", {
      Value: Match.stringLikeRegexp("cloudwatch/home\\?region=us-east-1#dashboards:name=shop-test-dashboard"),
    });
  });

  it("gives the poller its stage for the metrics' Stage dimension", () => {
    dispatcher.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "shop-test-poller",
      Environment: { Variables: Match.objectLike({ DISPATCHER_STAGE: "test" }) },
    });
  });

  it("subscribes the scale functions to their topics and runs restart on a schedule rounded up to minutes", () => {
    const subs = Object.values(resourcesOf(dispatcher, "AWS::SNS::Subscription"));
    expect(subs).toHaveLength(2);
    for (const s of subs) expect(s.Properties?.Protocol).toBe("lambda");
    const endpoints = subs.map((s) => render(s.Properties?.Endpoint)).sort();
    expect(endpoints).toEqual(
      [
        `\${${functionId(dispatcher, "shop-test-scale-down")}.Arn}`,
        `\${${functionId(dispatcher, "shop-test-scale-up")}.Arn}`,
      ].sort(),
    );
    const rules = Object.values(resourcesOf(dispatcher, "AWS::Events::Rule"));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties?.ScheduleExpression).toBe("rate(2 minutes)");
    expect(render((rules[0]?.Properties?.Targets as { Arn: unknown }[])[0]?.Arn)).toBe(
      `\${${functionId(dispatcher, "shop-test-restart")}.Arn}`,
    );
    expect(restartScheduleMinutes(5)).toBe(1);
  });
});

describe("IAM least privilege", () => {
  const guarded = /^(sqs|dynamodb|lambda|ssm):/;

  it("has no statement with a '*' resource on an SQS, DynamoDB, Lambda or SSM action", () => {
    const statements = allStatements();
    expect(statements.length).toBeGreaterThan(10);
    // lambda:GetAccountSettings (status's concurrency headroom) has no resource-level scope: '*' only, and alone.
    const accountWide = new Set(["lambda:GetAccountSettings"]);
    for (const s of statements) {
      if (actionsOf(s).every((a) => accountWide.has(a))) continue;
      if (!actionsOf(s).some((a) => guarded.test(a))) continue;
      for (const r of resourcesOfStatement(s)) {
        expect({ action: actionsOf(s), resource: r }).not.toEqual({ action: actionsOf(s), resource: "*" });
      }
    }
    for (const s of statements) {
      for (const a of actionsOf(s)) expect(a).not.toMatch(/^(sqs|dynamodb|lambda|ssm):\*$/);
    }
  });

  it("lets the poller invoke exactly itself and the registry's handlers", () => {
    const invoke = statementsOf(dispatcher, "shop-test-poller").filter((s) =>
      actionsOf(s).includes("lambda:InvokeFunction"),
    );
    expect(invoke).toHaveLength(1);
    const arns = resourcesOfStatement(invoke[0] as Statement)
      .map(render)
      .sort();
    expect(arns).toEqual(
      ["shop-test-poller", ...handlerNames]
        .map((n) => `arn:\${AWS::Partition}:lambda:us-east-1:${account}:function:${n}`)
        .sort(),
    );
  });

  it("limits the poller to the routed queues, the tokens table and the routes path", () => {
    const statements = statementsOf(dispatcher, "shop-test-poller");
    const actions = statements.flatMap(actionsOf).sort();
    expect(actions).toEqual(
      [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        // Run-time forward targets: only the routed queues (see the ledger registry's test).
        "sqs:GetQueueUrl",
        "sqs:SendMessage",
        "lambda:InvokeFunction",
        "lambda:GetFunctionConfiguration",
        "lambda:GetFunctionConcurrency",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
      ].sort(),
    );
    const sqsStatement = statements.find((s) => actionsOf(s).includes("sqs:ReceiveMessage")) as Statement;
    const queueArns = resourcesOfStatement(sqsStatement).map(render);
    expect(queueArns).toHaveLength(3);
    expect(queueArns).toContain("arn:aws:sqs:us-east-1:123456789012:legacy");
    expect(queueArns.filter((a) => a.startsWith("${Queue"))).toHaveLength(2);
    const tokens = statements.find((s) => actionsOf(s).includes("dynamodb:UpdateItem")) as Statement;
    expect(resourcesOfStatement(tokens).map(render)).toEqual([`\${${tokensTableId()}.Arn}`]);
    const ssmStatement = statements.find((s) =>
      actionsOf(s).includes("ssm:GetParametersByPath"),
    ) as Statement;
    expect(resourcesOfStatement(ssmStatement).map(render)).toEqual([
      `arn:\${AWS::Partition}:ssm:us-east-1:${account}:parameter/shop/test/routes`,
      `arn:\${AWS::Partition}:ssm:us-east-1:${account}:parameter/shop/test/routes/*`,
    ]);
  });

  it("lets restart and the scale functions invoke only the poller, and share the scaling lock's table", () => {
    for (const name of ["shop-test-restart", "shop-test-scale-up", "shop-test-scale-down"]) {
      const invoke = statementsOf(dispatcher, name).filter((s) =>
        actionsOf(s).some((a) => a.startsWith("lambda:")),
      );
      expect(invoke.flatMap(resourcesOfStatement).map(render)).toEqual([
        `arn:\${AWS::Partition}:lambda:us-east-1:${account}:function:shop-test-poller`,
      ]);
      const dynamo = statementsOf(dispatcher, name).filter((s) =>
        actionsOf(s).some((a) => a.startsWith("dynamodb:")),
      );
      const tables = dynamo.flatMap(resourcesOfStatement).map(render).sort();
      // The scaling-events table holds the per-queue lock every change of a loop count takes.
      const expected = [
        `\${${tableId("shop-test-tokens")}.Arn}`,
        `\${${tableId("shop-test-scaling-events")}.Arn}`,
      ];
      expect(tables).toEqual(expected.sort());
    }
  });

  it("lets the route sync function list, put and delete parameters under the routes path only", () => {
    const statements = statementsOf(dispatcher, "shop-test-route-sync");
    const base = `arn:\${AWS::Partition}:ssm:us-east-1:${account}:parameter/shop/test/routes`;
    expect(
      statements.map((s) => ({
        actions: actionsOf(s).sort(),
        resources: resourcesOfStatement(s).map(render),
      })),
    ).toEqual([
      { actions: ["ssm:GetParametersByPath"], resources: [base, `${base}/*`] },
      { actions: ["ssm:DeleteParameter", "ssm:PutParameter"], resources: [`${base}/*`] },
      {
        actions: ["ssm:GetParameters"],
        resources: [`arn:\${AWS::Partition}:ssm:us-east-1:${account}:parameter/shop/test/route-sync/0`],
      },
      {
        actions: ["cloudformation:DescribeStackResource"],
        resources: [
          `arn:\${AWS::Partition}:cloudformation:us-east-1:${account}:stack/test-sqs-dispatcher-Dispatcher/*`,
        ],
      },
    ]);
  });

  it("gives handler functions nothing but their own table", () => {
    for (const name of handlerNames) {
      const statements = statementsOf(dispatcher, name);
      expect(statements.flatMap(actionsOf)).toEqual(["dynamodb:UpdateItem"]);
    }
  });
});

function tableId(name: string): string {
  const found = Object.entries(resourcesOf(dispatcher, "AWS::DynamoDB::Table")).find(
    ([, t]) => t.Properties?.TableName === name,
  );
  if (!found) throw new Error(`no table ${name}`);
  return found[0];
}
const tokensTableId = () => tableId("shop-test-tokens");

describe("AdminApi stack", () => {
  it("is a REST API whose methods are IAM-authorized", () => {
    admin.resourceCountIs("AWS::ApiGateway::RestApi", 1);
    const methods = Object.values(resourcesOf(admin, "AWS::ApiGateway::Method"));
    expect(methods).toHaveLength(2);
    for (const m of methods) {
      expect(m.Properties).toMatchObject({ HttpMethod: "GET", AuthorizationType: "AWS_IAM" });
    }
  });

  it("declares the path and query parameters and keys the integration's cache on both", () => {
    admin.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "GET",
      RequestParameters: { "method.request.path.name": true, "method.request.querystring.view": false },
      Integration: Match.objectLike({
        Type: "AWS_PROXY",
        CacheKeyParameters: Match.arrayEquals([
          "method.request.path.name",
          "method.request.querystring.view",
        ]),
      }),
    });
  });

  it("throttles the stage and writes an access log", () => {
    admin.hasResourceProperties("AWS::ApiGateway::Stage", {
      StageName: "v1",
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("caller") },
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: "*",
          ResourcePath: "/*",
          ThrottlingRateLimit: 5,
          ThrottlingBurstLimit: 10,
        }),
      ]),
    });
    admin.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: "/aws/apigateway/shop-test-admin-api/access",
      RetentionInDays: 14,
    });
  });

  it("pages GET /queues: limit and after are declared and keyed in the cache", () => {
    admin.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "GET",
      RequestParameters: {
        "method.request.querystring.view": false,
        "method.request.querystring.limit": false,
        "method.request.querystring.after": false,
      },
      Integration: Match.objectLike({
        CacheKeyParameters: Match.arrayEquals([
          "method.request.querystring.view",
          "method.request.querystring.limit",
          "method.request.querystring.after",
        ]),
      }),
    });
  });

  it("turns the stage cache on with a TTL for every method", () => {
    admin.hasResourceProperties("AWS::ApiGateway::Stage", {
      CacheClusterEnabled: true,
      CacheClusterSize: "0.5",
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: "*",
          ResourcePath: "/*",
          CachingEnabled: true,
          CacheTtlInSeconds: 10,
        }),
      ]),
    });
  });
});

describe("AdminApi function", () => {
  it("reads tokens and routes, lists this account's queues and alarms, and writes nothing", () => {
    const statements = statementsOf(admin, "shop-test-admin-api");
    expect(statements.flatMap(actionsOf).sort()).toEqual(
      [
        "dynamodb:Query",
        "dynamodb:GetItem",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "sqs:ListQueues",
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
        "cloudwatch:DescribeAlarms",
        "lambda:GetAccountSettings",
      ].sort(),
    );
    const sqsStatement = statements.find((s) => actionsOf(s).includes("sqs:ListQueues")) as Statement;
    expect(resourcesOfStatement(sqsStatement).map(render)).toEqual([
      `arn:\${AWS::Partition}:sqs:us-east-1:${account}:*`,
    ]);
    admin.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "shop-test-admin-api",
      Environment: {
        Variables: Match.objectLike({ ALARM_NAME_PREFIX: "shop-test-", ROUTES_PATH: "/shop/test/routes/" }),
      },
    });
  });
});

describe("Dispatcher stack on the DynamoDB route store", () => {
  it("creates the routes table, syncs the routes into it (reset forced here) and points the functions at it", () => {
    ledger.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "ledger-test-routes",
      KeySchema: [{ AttributeName: "queueName", KeyType: "HASH" }],
    });
    ledger.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "ledger-test-poller",
      Environment: {
        Variables: Match.objectLike({ ROUTE_STORE: "dynamodb", ROUTES_TABLE: Match.anyValue() }),
      },
    });
    const params = Object.values(resourcesOf(ledger, "AWS::SSM::Parameter")).filter((p) =>
      String(p.Properties?.Name).startsWith("/ledger/"),
    );
    expect(params.map((p) => p.Properties?.Name)).toEqual(["/ledger/test/route-sync/0"]);
    expect(ledger.findResources("Custom::AWS")).toEqual({});
    const syncs = Object.values(resourcesOf(ledger, "Custom::RouteSync"));
    expect(syncs).toHaveLength(1);
    const routesTableId = Object.entries(resourcesOf(ledger, "AWS::DynamoDB::Table")).find(
      ([, t]) => t.Properties?.TableName === "ledger-test-routes",
    )?.[0];
    expect(syncs[0]?.Properties).toMatchObject({ DeployId: "ledger-1" });
    expect(render(syncs[0]?.Properties?.RouteStore)).toBe(`dynamodb:\${${routesTableId}}`);
    const spec = routeSyncSpecOf(ledger, "ledger");
    expect(spec).toMatchObject({ deployId: "ledger-1", resetRoutes: true });
    const routes = spec.routes;
    expect(routes).toEqual([
      expect.objectContaining({
        queueName: "entries",
        functionName: `\${${functionId(ledger, "ledger-test-noop")}}`,
      }),
      expect.objectContaining({ queueName: "legacy-orders" }),
    ]);
    const statements = statementsOf(ledger, "ledger-test-route-sync");
    expect(
      statements.map((s) => ({ actions: actionsOf(s), resources: resourcesOfStatement(s).map(render) })),
    ).toEqual([
      {
        actions: ["dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteItem"],
        resources: [`\${${routesTableId}.Arn}`],
      },
      {
        actions: ["ssm:GetParameters"],
        resources: [
          `arn:\${AWS::Partition}:ssm:us-east-1:${ledgerAccount}:parameter/ledger/test/route-sync/0`,
        ],
      },
      {
        actions: ["cloudformation:DescribeStackResource"],
        resources: [
          `arn:\${AWS::Partition}:cloudformation:us-east-1:${ledgerAccount}:stack/test-sqs-dispatcher-LedgerDispatcher/*`,
        ],
      },
    ]);
  });

  it("lets the poller read the routes table and no SSM path", () => {
    const statements = statementsOf(ledger, "ledger-test-poller");
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith("ssm:"))).toEqual([]);
    const reads = statements.filter((s) => actionsOf(s).includes("dynamodb:Scan"));
    expect(reads.flatMap(resourcesOfStatement).map(render)).toEqual([
      `\${${Object.entries(resourcesOf(ledger, "AWS::DynamoDB::Table")).find(([, t]) => t.Properties?.TableName === "ledger-test-routes")?.[0]}.Arn}`,
    ]);
  });

  it("imports a queue by name from its own account and region: no queue created, alarm and IAM name it", () => {
    const queueNames = Object.values(resourcesOf(ledger, "AWS::SQS::Queue")).map(
      (q) => q.Properties?.QueueName,
    );
    expect(queueNames.sort()).toEqual(["entries", "entries-dlq"]);
    const arn = `arn:\${AWS::Partition}:sqs:us-east-1:${ledgerAccount}:legacy-orders`;
    for (const fn of ["ledger-test-poller", "ledger-test-restart", "ledger-test-scale-up"]) {
      const sqsResources = statementsOf(ledger, fn)
        .filter((s) => actionsOf(s).some((a) => a.startsWith("sqs:")))
        .flatMap(resourcesOfStatement)
        .map(render);
      expect(sqsResources).toContain(arn);
    }
    ledger.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "ledger-test-legacy-orders-depth-1",
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: "legacy-orders" }],
    });
    const routes = routeSyncSpecOf(ledger, "ledger").routes as { queueName: string; queueUrl: string }[];
    expect(routes.find((r) => r.queueName === "legacy-orders")?.queueUrl).toBe(
      `https://sqs.us-east-1.\${AWS::URLSuffix}/${ledgerAccount}/legacy-orders`,
    );
  });

  it("runs restart every minute when the registry asks for less (EventBridge's floor)", () => {
    ledger.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(1 minute)" });
  });
});

type PolicyStatement = {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

/** The statements of the resource policies (`type`, e.g. AWS::SNS::TopicPolicy) that name `ref`. */
function resourcePolicyStatements(template: Template, type: string, listKey: string, ref: string) {
  return Object.values(resourcesOf(template, type))
    .filter((p) => (p.Properties?.[listKey] as unknown[]).some((t) => render(t).includes(ref)))
    .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
}

/** A role's whole policy, each statement as `{ actions, resources }` with ARNs rendered, in order. */
function fullStatementSet(template: Template, name: string) {
  return statementsOf(template, name).map((s) => ({
    effect: s.Effect,
    actions: actionsOf(s).slice().sort(),
    resources: resourcesOfStatement(s).map(render).sort(),
  }));
}

describe("hardening: who may publish, what is encrypted in transit, what roles hold", () => {
  it("lets only CloudWatch, for this stage's alarms of this account, publish to the scale topics", () => {
    for (const topicName of ["shop-test-scale-up", "shop-test-scale-down"]) {
      const topicId = Object.entries(resourcesOf(dispatcher, "AWS::SNS::Topic")).find(
        ([, t]) => t.Properties?.TopicName === topicName,
      )?.[0] as string;
      const statements = resourcePolicyStatements(dispatcher, "AWS::SNS::TopicPolicy", "Topics", topicId);
      // Exactly the stage's tier alarms, by ARN: a wildcard on the prefix would let stage "test-eu" in.
      const alarms = Object.values(resourcesOf(dispatcher, "AWS::CloudWatch::Alarm"))
        .map(
          (a) =>
            `arn:\${AWS::Partition}:cloudwatch:us-east-1:${account}:alarm:${String(a.Properties?.AlarmName)}`,
        )
        .sort();
      expect(alarms).toHaveLength(5);
      const publish = statements.filter((s) => s.Condition && !("Bool" in s.Condition));
      expect(publish.every((s) => actionsOf(s as Statement).join() === "sns:Publish")).toBe(true);
      expect(
        publish.map((s) => ({
          effect: s.Effect,
          principal: s.Principal,
          condition: JSON.parse(render(JSON.stringify(s.Condition))),
        })),
      ).toEqual([
        {
          effect: "Allow",
          principal: { Service: "cloudwatch.amazonaws.com" },
          condition: {
            ArnEquals: { "aws:SourceArn": expect.anything() },
            StringEquals: { "aws:SourceAccount": account },
          },
        },
        {
          effect: "Deny",
          principal: { AWS: "*" },
          condition: { ArnNotEquals: { "aws:SourceArn": expect.anything() } },
        },
      ]);
      for (const s of publish) {
        const arns = Object.values(s.Condition ?? {}).flatMap((c) => Object.values(c))[0] as unknown[];
        expect(arns.map(render).sort()).toEqual(alarms);
      }
    }
  });

  it("tells each scale function its own topic, app and stage (which name its alarms exactly), so forged records are ignored", () => {
    for (const [fn, topic] of [
      ["shop-test-scale-up", "shop-test-scale-up"],
      ["shop-test-scale-down", "shop-test-scale-down"],
    ] as const) {
      const variables = (
        resourcesOf(dispatcher, "AWS::Lambda::Function")[functionId(dispatcher, fn)]?.Properties
          ?.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(variables).toMatchObject({ DISPATCHER_APP: "shop", DISPATCHER_STAGE: "test" });
      expect(render(variables["SCALE_TOPIC_ARN"])).toBe(
        `arn:\${AWS::Partition}:sns:us-east-1:${account}:${topic}`,
      );
    }
  });

  it("enforces TLS on every created queue and on both scale topics", () => {
    const secureTransportDenied = (statements: PolicyStatement[]) =>
      statements.some(
        (s) =>
          s.Effect === "Deny" &&
          JSON.stringify(s.Condition) === JSON.stringify({ Bool: { "aws:SecureTransport": "false" } }),
      );
    const queues = Object.entries(resourcesOf(dispatcher, "AWS::SQS::Queue"));
    // payments.fifo and orders, each with its DLQ; the imported queue is not ours to change.
    expect(queues).toHaveLength(4);
    for (const [id] of queues) {
      expect(
        secureTransportDenied(resourcePolicyStatements(dispatcher, "AWS::SQS::QueuePolicy", "Queues", id)),
        id,
      ).toBe(true);
    }
    for (const [id] of Object.entries(resourcesOf(dispatcher, "AWS::SNS::Topic"))) {
      expect(
        secureTransportDenied(resourcePolicyStatements(dispatcher, "AWS::SNS::TopicPolicy", "Topics", id)),
        id,
      ).toBe(true);
    }
  });

  it("lets the admin API describe only this stage's alarms", () => {
    const describe = statementsOf(admin, "shop-test-admin-api").filter((s) =>
      actionsOf(s).includes("cloudwatch:DescribeAlarms"),
    );
    expect(describe.flatMap(resourcesOfStatement).map(render)).toEqual([
      `arn:\${AWS::Partition}:cloudwatch:us-east-1:${account}:alarm:shop-test-*`,
    ]);
  });

  it("asserts every platform role's full statement set", () => {
    const tokens = `\${${tokensTableId()}.Arn}`;
    const events = `\${${tableId("shop-test-scaling-events")}.Arn}`;
    const poller = `arn:\${AWS::Partition}:lambda:us-east-1:${account}:function:shop-test-poller`;
    const routes = `arn:\${AWS::Partition}:ssm:us-east-1:${account}:parameter/shop/test/routes`;
    const routesRead = {
      effect: "Allow",
      actions: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
      resources: [routes, `${routes}/*`],
    };
    const queueArns = (fn: string) =>
      resourcesOfStatement(
        statementsOf(dispatcher, fn).find((s) =>
          actionsOf(s).includes("sqs:GetQueueAttributes"),
        ) as Statement,
      )
        .map(render)
        .sort();
    const routed = queueArns("shop-test-poller");
    expect(routed).toHaveLength(3);
    expect(fullStatementSet(dispatcher, "shop-test-poller")).toEqual([
      {
        effect: "Allow",
        actions: [
          "sqs:ChangeMessageVisibility",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ],
        resources: routed,
      },
      {
        effect: "Allow",
        actions: ["lambda:InvokeFunction"],
        resources: [
          poller,
          ...handlerNames.map((n) => `arn:\${AWS::Partition}:lambda:us-east-1:${account}:function:${n}`),
        ].sort(),
      },
      {
        // What a loop reads of its route's function (timeout, reserved concurrency): the handlers only.
        effect: "Allow",
        actions: ["lambda:GetFunctionConcurrency", "lambda:GetFunctionConfiguration"],
        resources: handlerNames
          .map((n) => `arn:\${AWS::Partition}:lambda:us-east-1:${account}:function:${n}`)
          .sort(),
      },
      {
        effect: "Allow",
        actions: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
        resources: [tokens],
      },
      routesRead,
      // A run-time route may forward to a routed queue: the poller may send to exactly those.
      { effect: "Allow", actions: ["sqs:GetQueueUrl", "sqs:SendMessage"], resources: routed },
    ]);
    expect(fullStatementSet(dispatcher, "shop-test-restart")).toEqual([
      {
        effect: "Allow",
        actions: [
          "dynamodb:DeleteItem",
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:Query",
          "dynamodb:Scan",
          "dynamodb:UpdateItem",
        ],
        resources: [tokens],
      },
      // Reconcile changes a loop count under the scale functions' per-queue lock.
      { effect: "Allow", actions: ["dynamodb:DeleteItem", "dynamodb:PutItem"], resources: [events] },
      routesRead,
      { effect: "Allow", actions: ["lambda:InvokeFunction"], resources: [poller] },
      { effect: "Allow", actions: ["sqs:GetQueueAttributes"], resources: routed },
    ]);
    const tierAlarms = Object.values(resourcesOf(dispatcher, "AWS::CloudWatch::Alarm"))
      .map(
        (a) =>
          `arn:\${AWS::Partition}:cloudwatch:us-east-1:${account}:alarm:${String(a.Properties?.AlarmName)}`,
      )
      .sort();
    for (const fn of ["shop-test-scale-up", "shop-test-scale-down"]) {
      expect(fullStatementSet(dispatcher, fn)).toEqual([
        // Each notification is checked against its alarm: exactly the stage's tier alarms, no prefix.
        { effect: "Allow", actions: ["cloudwatch:DescribeAlarms"], resources: tierAlarms },
        { effect: "Allow", actions: ["dynamodb:DeleteItem", "dynamodb:PutItem"], resources: [events] },
        {
          effect: "Allow",
          actions: [
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
          ],
          resources: [tokens],
        },
        routesRead,
        { effect: "Allow", actions: ["lambda:InvokeFunction"], resources: [poller] },
        { effect: "Allow", actions: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"], resources: routed },
      ]);
    }
    expect(fullStatementSet(admin, "shop-test-admin-api")).toEqual([
      {
        effect: "Allow",
        actions: ["dynamodb:GetItem", "dynamodb:Query"],
        resources: [expect.stringContaining("Tokens")],
      },
      routesRead,
      {
        effect: "Allow",
        actions: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueues"],
        resources: [`arn:\${AWS::Partition}:sqs:us-east-1:${account}:*`],
      },
      // Status's concurrency headroom: GetAccountSettings has no resource-level scope.
      { effect: "Allow", actions: ["lambda:GetAccountSettings"], resources: ["*"] },
      {
        effect: "Allow",
        actions: ["cloudwatch:DescribeAlarms"],
        resources: [`arn:\${AWS::Partition}:cloudwatch:us-east-1:${account}:alarm:shop-test-*`],
      },
    ]);
    for (const name of handlerNames) {
      expect(fullStatementSet(dispatcher, name)).toEqual([
        {
          effect: "Allow",
          actions: ["dynamodb:UpdateItem"],
          resources: [`\${${tableId("shop-test-processed")}.Arn}`],
        },
      ]);
    }
  });

  it("grants the poller the queues routableQueues names, by prefix", () => {
    const sqsStatement = statementsOf(ledger, "ledger-test-poller").find((s) =>
      actionsOf(s).includes("sqs:ReceiveMessage"),
    ) as Statement;
    expect(resourcesOfStatement(sqsStatement).map(render)).toContain(
      `arn:\${AWS::Partition}:sqs:us-east-1:${ledgerAccount}:ledger-reports-*`,
    );
  });

  it("deploys the processed table, with a TTL, only with examples: true, and no example handler without it", () => {
    dispatcher.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "shop-test-processed",
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
    expect(
      Object.values(resourcesOf(ledger, "AWS::DynamoDB::Table")).map((t) => t.Properties?.TableName),
    ).not.toContain("ledger-test-processed");
    for (const fn of Object.values(resourcesOf(ledger, "AWS::Lambda::Function"))) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      expect(variables?.["PROCESSED_TABLE"]).toBeUndefined();
    }
    const withExamples = defineDispatcher({
      app: "demo",
      functions: { record: { handler: "packages/functions/src/handlers/record.handler" } },
    });
    expect(() =>
      createDispatcherStack(withExamples)({
        stack: getStack(LedgerDispatcher),
        app: { stage: "test" },
      } as never),
    ).toThrow(
      "function 'record' uses an example handler (packages/functions/src/handlers/), which obeys sleepMs/fail/crash in message bodies and keeps every body in the 'processed' table: point it at your own handler, or set 'examples: true' in the registry to deploy the examples to AWS on purpose",
    );
    // A function that says `example: true` is an example handler wherever its code lives.
    const markedExample = defineDispatcher({
      app: "demo",
      functions: {
        accept: { handler: "test/fixtures/functions/acceptRecord.handler", example: true },
      },
    });
    expect(() =>
      createDispatcherStack(markedExample)({
        stack: getStack(LedgerDispatcher),
        app: { stage: "test" },
      } as never),
    ).toThrow("function 'accept' uses an example handler");
  });
});

describe("Dispatcher stack: route policies", () => {
  it("alarms an age tier on ApproximateAgeOfOldestMessage, in seconds, beside the depth tier", () => {
    ledger.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "ledger-test-legacy-orders-depth-2",
      AlarmDescription: "Tier 2 of queue legacy-orders: scale up at the oldest message waited 300 s",
      Namespace: "AWS/SQS",
      MetricName: "ApproximateAgeOfOldestMessage",
      Dimensions: [{ Name: "QueueName", Value: "legacy-orders" }],
      Threshold: 300,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    ledger.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "ledger-test-legacy-orders-depth-1",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Threshold: 10,
    });
  });

  it("stores filters, onNoMatch and maxRate with the route, invoke naming the deployed function", () => {
    const routes = routeSyncSpecOf(ledger, "ledger").routes;
    expect(routes.find((r) => r["queueName"] === "entries")).toMatchObject({
      filters: [{ body: { kind: ["entry"] } }],
      onNoMatch: "forward:entries-parked",
      maxRate: 50,
    });
    expect(routes.find((r) => r["queueName"] === "legacy-orders")).toMatchObject({
      filters: [{ messageAttributes: { tenant: { stringValue: [{ prefix: "acme-" }] } } }],
      onNoMatch: "invoke:ledger-test-noop",
    });
    expect(routes.find((r) => r["queueName"] === "entries")).not.toHaveProperty("alarms.0.metric");
  });

  it("lets the poller send to the forward targets run-time routes may name and invoke the no-match function, nothing wider", () => {
    const statements = statementsOf(ledger, "ledger-test-poller");
    const sends = statements.filter((s) => actionsOf(s).includes("sqs:SendMessage"));
    const receives = statements.filter((s) => actionsOf(s).includes("sqs:ReceiveMessage"));
    expect(sends.map(actionsOf)).toEqual([["sqs:GetQueueUrl", "sqs:SendMessage"]]);
    // The registry's forward target, then every queue a run-time route may forward to: the registry's
    // queues and routableQueues, exactly those the poller may read (`routes set` refuses any other).
    expect(resourcesOfStatement(sends[0]!).map(render)).toEqual([
      `arn:\${AWS::Partition}:sqs:us-east-1:${ledgerAccount}:entries-parked`,
      ...resourcesOfStatement(receives[0]!).map(render),
    ]);
    expect(resourcesOfStatement(sends[0]!).map(render)).toContain(
      `arn:\${AWS::Partition}:sqs:us-east-1:${ledgerAccount}:ledger-reports-*`,
    );
    const invokes = statements
      .filter((s) => actionsOf(s).includes("lambda:InvokeFunction"))
      .flatMap(resourcesOfStatement)
      .map(render);
    expect(invokes.some((r) => r.endsWith(":function:ledger-test-noop"))).toBe(true);
    // The shop registry names no forward target: its poller may send only to the queues it may read.
    const shop = statementsOf(dispatcher, "shop-test-poller");
    const shopSends = shop
      .filter((s) => actionsOf(s).includes("sqs:SendMessage"))
      .flatMap(resourcesOfStatement);
    const shopReads = shop
      .filter((s) => actionsOf(s).includes("sqs:ReceiveMessage"))
      .flatMap(resourcesOfStatement);
    expect(shopSends.map(render)).toEqual(shopReads.map(render));
  });

  it("lets restart read the age metric only when a depth-mode route uses maxAgeSec", () => {
    const reads = statementsOf(ledger, "ledger-test-restart").filter((s) =>
      actionsOf(s).includes("cloudwatch:GetMetricStatistics"),
    );
    expect(reads.map((s) => resourcesOfStatement(s).map(render))).toEqual([["*"]]);
    expect(statementsOf(dispatcher, "shop-test-restart").flatMap(actionsOf)).not.toContain(
      "cloudwatch:GetMetricStatistics",
    );
  });
});
