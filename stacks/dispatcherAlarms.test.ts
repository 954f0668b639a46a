import { PollerMetric } from "@sqs-dispatcher/core";
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { restartScheduleMinutes } from "./Dispatcher.js";
import { dispatcher, functionId, synthesizeDispatcherStacks } from "./dispatcherStacks.testkit.js";
import { render, resourcesOf } from "./stackTemplates.testkit.js";

synthesizeDispatcherStacks({ ledgerApp: false });

describe("Dispatcher stack", () => {
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
