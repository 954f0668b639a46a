import { describe, expect, it } from "vitest";
import {
  dispatcher,
  ledger,
  ledgerAccount,
  routeSyncSpecOf,
  statementsOf,
  synthesizeDispatcherStacks,
} from "./dispatcherStacks.testkit.js";
import { actionsOf, render, resourcesOfStatement } from "./stackTemplates.testkit.js";

synthesizeDispatcherStacks();

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
