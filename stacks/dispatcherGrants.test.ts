import { describe, expect, it } from "vitest";
import {
  account,
  allStatements,
  dispatcher,
  handlerNames,
  statementsOf,
  synthesizeDispatcherStacks,
  tableId,
  tokensTableId,
} from "./dispatcherStacks.testkit.js";
import { actionsOf, render, resourcesOfStatement, type Statement } from "./stackTemplates.testkit.js";

synthesizeDispatcherStacks();

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
