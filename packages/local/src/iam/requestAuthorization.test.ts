import { describe, expect, it } from "vitest";
import { authorizationChecksOf, functionArnOf, UnauthorizableRequestError } from "./requestAuthorization.js";

const scope = { region: "us-east-1", accountId: "000000000000" };

const json = (service: string, target: string, body: unknown) => ({
  service,
  method: "POST",
  url: "/",
  headers: { "x-amz-target": target },
  body: Buffer.from(JSON.stringify(body)),
});

describe("authorizationChecksOf", () => {
  it("authorizes SQS batch calls as their single forms on the queue of QueueUrl", () => {
    expect(
      authorizationChecksOf(
        json("sqs", "AmazonSQS.DeleteMessageBatch", {
          QueueUrl: "http://127.0.0.1:4566/000000000000/orders",
        }),
        scope,
      ),
    ).toEqual([{ action: "sqs:DeleteMessage", resource: "arn:aws:sqs:us-east-1:000000000000:orders" }]);
    expect(
      authorizationChecksOf(json("sqs", "AmazonSQS.GetQueueUrl", { QueueName: "audit" }), scope),
    ).toEqual([{ action: "sqs:GetQueueUrl", resource: "arn:aws:sqs:us-east-1:000000000000:audit" }]);
    expect(authorizationChecksOf(json("sqs", "AmazonSQS.ListQueues", {}), scope)).toEqual([
      { action: "sqs:ListQueues", resource: "*" },
    ]);
  });

  it("names the DynamoDB table, its index, and every table of a batch", () => {
    expect(
      authorizationChecksOf(
        json("dynamodb", "DynamoDB_20120810.Query", { TableName: "tokens", IndexName: "byLoop" }),
        scope,
      ),
    ).toEqual([
      {
        action: "dynamodb:Query",
        resource: "arn:aws:dynamodb:us-east-1:000000000000:table/tokens/index/byLoop",
      },
    ]);
    expect(
      authorizationChecksOf(
        json("dynamodb", "DynamoDB_20120810.BatchGetItem", { RequestItems: { tokens: {}, processed: {} } }),
        scope,
      ).map((c) => c.resource),
    ).toEqual([
      "arn:aws:dynamodb:us-east-1:000000000000:table/tokens",
      "arn:aws:dynamodb:us-east-1:000000000000:table/processed",
    ]);
  });

  it("names SSM parameters by Name and Names, and a path without its trailing slash", () => {
    expect(
      authorizationChecksOf(
        json("ssm", "AmazonSSM.GetParametersByPath", { Path: "/shop/local/routes/" }),
        scope,
      ),
    ).toEqual([
      {
        action: "ssm:GetParametersByPath",
        resource: "arn:aws:ssm:us-east-1:000000000000:parameter/shop/local/routes",
      },
    ]);
    expect(
      authorizationChecksOf(json("ssm", "AmazonSSM.GetParameters", { Names: ["/a/b", "/a/c"] }), scope).map(
        (c) => c.resource,
      ),
    ).toEqual([
      "arn:aws:ssm:us-east-1:000000000000:parameter/a/b",
      "arn:aws:ssm:us-east-1:000000000000:parameter/a/c",
    ]);
  });

  it("names the Lambda function with its qualifier, and refuses a path it cannot map", () => {
    const invoke = (url: string) => ({
      service: "lambda",
      method: "POST",
      url,
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(
      authorizationChecksOf(invoke("/2015-03-31/functions/record/invocations?Qualifier=live"), scope),
    ).toEqual([
      {
        action: "lambda:InvokeFunction",
        resource: "arn:aws:lambda:us-east-1:000000000000:function:record:live",
      },
    ]);
    expect(() => authorizationChecksOf(invoke("/2015-03-31/functions/record/nothing"), scope)).toThrow(
      UnauthorizableRequestError,
    );
  });

  it("authorizes DescribeAlarms on every alarm of the account, and named alarms by name", () => {
    expect(
      authorizationChecksOf(json("monitoring", "GraniteServiceVersion20100801.DescribeAlarms", {}), scope),
    ).toEqual([
      { action: "cloudwatch:DescribeAlarms", resource: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:*" },
    ]);
    expect(
      authorizationChecksOf(
        json("monitoring", "GraniteServiceVersion20100801.SetAlarmState", { AlarmName: "a-1" }),
        scope,
      ),
    ).toEqual([
      { action: "cloudwatch:SetAlarmState", resource: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:a-1" },
    ]);
  });
});

describe("functionArnOf", () => {
  it("reads names, partial ARNs and full ARNs, a version in the name or the Qualifier", () => {
    expect(functionArnOf("record", null, scope)).toBe(
      "arn:aws:lambda:us-east-1:000000000000:function:record",
    );
    expect(functionArnOf("record:7", null, scope)).toBe(
      "arn:aws:lambda:us-east-1:000000000000:function:record:7",
    );
    expect(functionArnOf("123456789012:function:x", null, scope)).toBe(
      "arn:aws:lambda:us-east-1:123456789012:function:x",
    );
    expect(functionArnOf("arn:aws:lambda:eu-west-1:123456789012:function:x:live", null, scope)).toBe(
      "arn:aws:lambda:eu-west-1:123456789012:function:x:live",
    );
  });
});
