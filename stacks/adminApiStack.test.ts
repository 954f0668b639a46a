import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { account, admin, statementsOf, synthesizeDispatcherStacks } from "./dispatcherStacks.testkit.js";
import {
  actionsOf,
  render,
  resourcesOf,
  resourcesOfStatement,
  type Statement,
} from "./stackTemplates.testkit.js";

synthesizeDispatcherStacks({ ledgerApp: false });

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
