import { defineDispatcher } from "@sqs-dispatcher/config";
import type { Template } from "aws-cdk-lib/assertions";
import { getStack } from "sst/constructs";
import { describe, expect, it } from "vitest";
import { createDispatcherStack } from "./Dispatcher.js";
import {
  account,
  admin,
  dispatcher,
  functionId,
  handlerNames,
  LedgerDispatcher,
  ledger,
  ledgerAccount,
  statementsOf,
  synthesizeDispatcherStacks,
  tableId,
  tokensTableId,
} from "./dispatcherStacks.testkit.js";
import {
  actionsOf,
  render,
  resourcesOf,
  resourcesOfStatement,
  type Statement,
} from "./stackTemplates.testkit.js";

synthesizeDispatcherStacks();

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
