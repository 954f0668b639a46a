import { defineDispatcher } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { rolePoliciesOf, UnresolvableIntrinsicError } from "./rolePolicies.js";
import { synthesizeRolePolicies } from "./synthRolePolicies.js";

const target = {
  partition: "aws",
  region: "eu-west-1",
  accountId: "000000000000",
  synthesizedAccountId: "my-account",
};

/** A template in the shape CDK writes: a function, its role, a policy on the role, a table and a queue. */
const template = {
  Resources: {
    Role: {
      Type: "AWS::IAM::Role",
      Properties: {
        ManagedPolicyArns: [
          {
            "Fn::Join": [
              "",
              [
                "arn:",
                { Ref: "AWS::Partition" },
                ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
              ],
            ],
          },
        ],
      },
    },
    Fn: {
      Type: "AWS::Lambda::Function",
      Properties: { FunctionName: "shop-local-poller", Role: { "Fn::GetAtt": ["Role", "Arn"] } },
    },
    Unnamed: { Type: "AWS::Lambda::Function", Properties: { Role: { "Fn::GetAtt": ["Role", "Arn"] } } },
    Tokens: { Type: "AWS::DynamoDB::Table", Properties: { TableName: "shop-local-tokens" } },
    Orders: { Type: "AWS::SQS::Queue", Properties: { QueueName: "orders" } },
    Topic: { Type: "AWS::SNS::Topic", Properties: { TopicName: "shop-local-scale-up" } },
    Policy: {
      Type: "AWS::IAM::Policy",
      Properties: {
        Roles: [{ Ref: "Role" }],
        PolicyDocument: {
          Statement: [
            { Effect: "Allow", Action: "dynamodb:GetItem", Resource: { "Fn::GetAtt": ["Tokens", "Arn"] } },
            {
              Effect: "Allow",
              Action: ["sqs:ReceiveMessage"],
              Resource: [
                { "Fn::GetAtt": ["Orders", "Arn"] },
                {
                  "Fn::Join": [
                    "",
                    ["arn:", { Ref: "AWS::Partition" }, ":sqs:eu-west-1:my-account:reports-*"],
                  ],
                },
              ],
            },
            { Effect: "Allow", Action: "sns:Publish", Resource: { Ref: "Topic" } },
            {
              Effect: "Allow",
              Action: "lambda:InvokeFunction",
              Resource: {
                // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not JavaScript's
                "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:x",
              },
            },
          ],
        },
      },
    },
  },
};

describe("rolePoliciesOf", () => {
  it("resolves each named function's role policies to the target's ARNs", () => {
    expect(rolePoliciesOf(template, target)).toEqual({
      "shop-local-poller": {
        roleLogicalId: "Role",
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
        policies: [
          {
            name: "Policy",
            statements: [
              {
                Effect: "Allow",
                Action: "dynamodb:GetItem",
                Resource: "arn:aws:dynamodb:eu-west-1:000000000000:table/shop-local-tokens",
              },
              {
                Effect: "Allow",
                Action: ["sqs:ReceiveMessage"],
                Resource: [
                  "arn:aws:sqs:eu-west-1:000000000000:orders",
                  "arn:aws:sqs:eu-west-1:000000000000:reports-*",
                ],
              },
              {
                Effect: "Allow",
                Action: "sns:Publish",
                Resource: "arn:aws:sns:eu-west-1:000000000000:shop-local-scale-up",
              },
              {
                Effect: "Allow",
                Action: "lambda:InvokeFunction",
                Resource: "arn:aws:lambda:eu-west-1:000000000000:function:x",
              },
            ],
          },
        ],
      },
    });
  });

  it("refuses an intrinsic it cannot resolve instead of guessing", () => {
    const broken = structuredClone(template);
    broken.Resources.Policy.Properties.PolicyDocument.Statement[0]!.Resource = {
      "Fn::ImportValue": "elsewhere",
    } as never;
    expect(() => rolePoliciesOf(broken, target)).toThrow(UnresolvableIntrinsicError);
  });
});

describe("synthesizeRolePolicies", () => {
  const registry = defineDispatcher({
    app: "iamcheck",
    functions: { record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 10 } },
    routes: [
      {
        queue: { name: "orders" },
        function: "record",
        onNoMatch: "forward:parked",
        filters: [{ body: { a: ["b"] } }],
      },
    ],
    routableQueues: ["reports-*"],
  });

  it("gives the same role policies without bundling (dev mode, what the local cloud uses) as sst deploy's synthesis", async () => {
    const base = {
      stage: "local",
      routeStore: "ssm",
      region: "us-east-1",
      accountId: "000000000000",
    } as const;
    const dev = await synthesizeRolePolicies(registry, { ...base, mode: "dev" });
    const deploy = await synthesizeRolePolicies(registry, { ...base, mode: "deploy" });
    expect(Object.keys(dev)).toEqual(
      expect.arrayContaining(["iamcheck-local-poller", "iamcheck-local-record"]),
    );
    // Policy names carry CDK's hashes of construct paths, equal in both modes.
    expect(dev).toEqual(deploy);
  }, 240_000);
});
