import { parseRoute, type Route } from "@sqs-dispatcher/config";
import { type RouteStore, silentLogger } from "@sqs-dispatcher/core";
import { createRouteSync } from "@sqs-dispatcher/functions/routeSync";
import { cloudFormationRequestSchema } from "@sqs-dispatcher/functions/runtime/cloudFormationRequest";
import { joinRouteSyncSpec } from "@sqs-dispatcher/functions/runtime/routeSyncSpec";
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { deadLetterQueueName, resetRoutesFromEnv, StackConfigurationError } from "./Dispatcher.js";
import {
  admin,
  dispatcher,
  functionId,
  handlerNames,
  platformNames,
  routeSyncParameters,
  routeSyncSpecOf,
  synthesizeDispatcherStacks,
} from "./dispatcherStacks.testkit.js";
import { render, resourcesOf } from "./stackTemplates.testkit.js";

synthesizeDispatcherStacks({ ledgerApp: false });

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
});
