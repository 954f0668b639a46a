import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import {
  functionId,
  ledger,
  ledgerAccount,
  routeSyncSpecOf,
  statementsOf,
  synthesizeDispatcherStacks,
} from "./dispatcherStacks.testkit.js";
import { actionsOf, render, resourcesOf, resourcesOfStatement } from "./stackTemplates.testkit.js";

synthesizeDispatcherStacks();

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
