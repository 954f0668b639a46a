import { describe, expect, it } from "vitest";
import { functionArnProblem, parseFunctionRef, unqualifiedRef } from "./functionRef.js";
import { messages as issueMessages } from "./issueMessages.testkit.js";
import { defineDispatcher, parseRoute } from "./parse.js";
import { isRoutableFunction } from "./routableFunctions.js";

const base = {
  app: "shop",
  functions: { own: { handler: "src/own.handler", timeoutSec: 10 } },
};

describe("external registry functions", () => {
  it("accepts a function by name, by ARN and by qualified ARN, and skips the timeout rules for them", () => {
    const registry = defineDispatcher({
      ...base,
      functions: {
        ...base.functions,
        audit: { name: "audit-handler" },
        billing: { arn: "arn:aws:lambda:eu-west-1:123456789012:function:billing" },
        invoicing: { arn: "arn:aws:lambda:eu-west-1:123456789012:function:invoicing:live" },
      },
      routes: [
        { queue: { name: "a", visibilityTimeoutSec: 1 }, function: "audit" },
        { queue: { name: "b" }, function: "billing" },
      ],
    });
    expect(registry.functions["invoicing"]).toEqual({
      arn: "arn:aws:lambda:eu-west-1:123456789012:function:invoicing:live",
    });
  });

  it("names what is wrong with a malformed ARN", () => {
    const messages = issueMessages(() =>
      defineDispatcher({
        ...base,
        functions: { billing: { arn: "arn:aws:lambda:eu-west-1:12345:function:billing" } },
      }),
    );
    expect(messages.join("\n")).toContain("function ARN account '12345' must be 12 digits");
    expect(functionArnProblem("arn:aws:sqs:eu-west-1:123456789012:function:x")).toBe(
      "service 'sqs' must be 'lambda'",
    );
    expect(functionArnProblem("arn:aws:lambda:eu-west-1:123456789012:layer:x")).toBe(
      "resource type 'layer' must be 'function'",
    );
  });

  it("refuses a mix of a built and an external function, strictly", () => {
    const messages = issueMessages(() =>
      defineDispatcher({
        ...base,
        functions: {
          billing: { arn: "arn:aws:lambda:eu-west-1:123456789012:function:b", handler: "x.y" } as never,
        },
      }),
    );
    expect(messages.join("\n")).toContain("not a mix");
  });

  it("refuses a malformed routableFunctions entry", () => {
    const messages = issueMessages(() => defineDispatcher({ ...base, routableFunctions: ["bad name!"] }));
    expect(messages.join("\n")).toContain("routableFunctions");
  });
});

describe("function references", () => {
  it("parses names and ARNs, qualified or not", () => {
    expect(parseFunctionRef("billing")).toEqual({ name: "billing" });
    expect(parseFunctionRef("billing:live")).toEqual({ name: "billing", qualifier: "live" });
    expect(parseFunctionRef("arn:aws:lambda:eu-west-1:123456789012:function:billing:7")).toEqual({
      name: "billing",
      arn: { partition: "aws", region: "eu-west-1", accountId: "123456789012" },
      qualifier: "7",
    });
    expect(parseFunctionRef("arn:aws:lambda:eu-west-1:123:function:billing")).toBeUndefined();
    expect(unqualifiedRef("arn:aws:lambda:eu-west-1:123456789012:function:billing:live")).toBe(
      "arn:aws:lambda:eu-west-1:123456789012:function:billing",
    );
  });

  it("a stored route takes a function ARN as its functionName", () => {
    const route = parseRoute({
      queueName: "orders",
      queueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
      functionName: "arn:aws:lambda:eu-west-1:111122223333:function:billing:live",
    });
    expect(route.functionName).toBe("arn:aws:lambda:eu-west-1:111122223333:function:billing:live");
  });
});

describe("isRoutableFunction", () => {
  const home = { region: "us-east-1", accountId: "123456789012" };
  it("matches names and prefixes in this account and region, ARNs as written", () => {
    const allowed = ["billing", "reports-*", "arn:aws:lambda:eu-west-1:111122223333:function:audit:live"];
    expect(isRoutableFunction(allowed, "billing", home)).toBe(true);
    expect(isRoutableFunction(allowed, "billing:live", home)).toBe(true);
    expect(
      isRoutableFunction(allowed, "arn:aws:lambda:us-east-1:123456789012:function:reports-daily", home),
    ).toBe(true);
    expect(isRoutableFunction(allowed, "arn:aws:lambda:eu-west-1:999999999999:function:billing", home)).toBe(
      false,
    );
    expect(
      isRoutableFunction(allowed, "arn:aws:lambda:eu-west-1:111122223333:function:audit:live", home),
    ).toBe(true);
    expect(isRoutableFunction(allowed, "arn:aws:lambda:eu-west-1:111122223333:function:audit", home)).toBe(
      false,
    );
    expect(isRoutableFunction(allowed, "orders", home)).toBe(false);
  });
});
