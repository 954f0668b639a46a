import { rm } from "node:fs/promises";
import { defineDispatcher } from "@sqs-dispatcher/config";
import { Template } from "aws-cdk-lib/assertions";
import { getStack } from "sst/constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDispatcherStack } from "./Dispatcher.js";
import {
  actionsOf,
  render,
  resourcesOfStatement,
  resourcesOf as resourcesOfTemplate,
  type Statement,
  synthesizeApp,
  synthFolder,
} from "./stackTemplates.testkit.js";

const otherAccountArn = "arn:aws:lambda:eu-west-1:111122223333:function:billing-handler";
const qualifiedArn = "arn:aws:lambda:eu-west-1:111122223333:function:invoicing:live";

/** A registry whose routes drain into functions the stack does not build, by name, ARN and qualified ARN. */
const registry = defineDispatcher({
  app: "ext",
  functions: {
    own: { handler: "test/fixtures/functions/failOnlyRecord.handler", timeoutSec: 10 },
    audit: { name: "audit-handler" },
    billing: { arn: otherAccountArn },
    invoicing: { arn: qualifiedArn },
  },
  routes: [
    { queue: { name: "ext-own" }, function: "own" },
    { queue: { name: "ext-audit" }, function: "audit" },
    { queue: { name: "ext-billing" }, function: "billing" },
    { queue: { name: "ext-invoicing" }, function: "invoicing" },
  ],
  routableFunctions: ["reports-*"],
});
const Dispatcher = createDispatcherStack(registry);

let outdir = "";
let template: Template;
let account = "";

beforeAll(async () => {
  outdir = await synthFolder("synth-ext-");
  await synthesizeApp(outdir, [[Dispatcher, "ExtDispatcher"]]);
  template = Template.fromStack(getStack(Dispatcher));
  account = getStack(Dispatcher).account;
}, 180_000);

afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

const resourcesOf = (type: string) => resourcesOfTemplate(template, type);

/** Every statement of every IAM policy, with the role it is attached to. */
function allStatements(): { role: string; statement: Statement }[] {
  return Object.values(resourcesOf("AWS::IAM::Policy")).flatMap((p) =>
    (p.Properties?.Roles as { Ref: string }[]).flatMap((r) =>
      (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement.map((statement) => ({
        role: r.Ref,
        statement,
      })),
    ),
  );
}

function roleOf(functionName: string): string {
  const fn = Object.values(resourcesOf("AWS::Lambda::Function")).find(
    (r) => r.Properties?.FunctionName === functionName,
  );
  return (fn?.Properties?.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
}

const arnIn = (name: string) => `arn:\${AWS::Partition}:lambda:us-east-1:${account}:function:${name}`;

describe("external functions in the stack", () => {
  it("builds only the registry's own handler", () => {
    const names = Object.values(resourcesOf("AWS::Lambda::Function")).map((f) => f.Properties?.FunctionName);
    expect(names).toContain("ext-test-own");
    for (const external of ["ext-test-audit", "ext-test-billing", "ext-test-invoicing", "audit-handler"]) {
      expect(names).not.toContain(external);
    }
  });

  it("lets the poller invoke exactly its own handler, each external function and the routableFunctions prefix", () => {
    const poller = roleOf("ext-test-poller");
    const invokes = allStatements().filter(
      ({ role, statement }) => role === poller && actionsOf(statement).includes("lambda:InvokeFunction"),
    );
    expect(invokes).toHaveLength(1);
    expect(resourcesOfStatement(invokes[0]!.statement).map(render).sort()).toEqual(
      [
        arnIn("ext-test-poller"),
        arnIn("ext-test-own"),
        // By name: this account and region's function.
        arnIn("audit-handler"),
        // By ARN and by qualified ARN: as written.
        otherAccountArn,
        qualifiedArn,
        // A routableFunctions prefix.
        arnIn("reports-*"),
      ].sort(),
    );
  });

  it("grants the external functions to the poller's role and to no other", () => {
    const poller = roleOf("ext-test-poller");
    for (const arn of [arnIn("audit-handler"), otherAccountArn, qualifiedArn, arnIn("reports-*")]) {
      const holders = allStatements().filter(({ statement }) =>
        resourcesOfStatement(statement).map(render).includes(arn),
      );
      expect(holders.length).toBeGreaterThan(0);
      expect(new Set(holders.map((h) => h.role))).toEqual(new Set([poller]));
      // The poller may invoke it and read its timeout and concurrency, nothing more.
      expect(new Set(holders.flatMap((h) => actionsOf(h.statement)))).toEqual(
        new Set([
          "lambda:InvokeFunction",
          "lambda:GetFunctionConfiguration",
          "lambda:GetFunctionConcurrency",
        ]),
      );
    }
  });
});
