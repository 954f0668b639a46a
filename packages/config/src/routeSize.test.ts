import { describe, expect, it } from "vitest";
import { ConfigValidationError } from "./errors.js";
import { FilterLimits } from "./filterPattern.js";
import { defineDispatcher, parseRoute } from "./parse.js";
import { RouteStoreSizeLimits, routeSizeProblem, storedRouteBytes } from "./routeSize.js";
import type { RegistryInput } from "./schema/registry.js";

/** `count` filter patterns of about `chars` characters each, every one valid on its own. */
function bigFilters(count: number, chars: number) {
  return Array.from({ length: count }, (_, i) => ({ body: { kind: [`${i}-${"x".repeat(chars - 30)}`] } }));
}

function registry(routeStore: RegistryInput["routeStore"], filters = bigFilters(3, 3_000)) {
  return {
    app: "shop",
    functions: { record: { handler: "h.handler" } },
    routes: [{ queue: { name: "orders" }, function: "record", filters }],
    routeStore,
  } satisfies RegistryInput;
}

describe("a route's size in its store", () => {
  it("accepts 10 patterns of the largest size the schema allows only in DynamoDB, not in SSM", () => {
    const route = parseRoute({
      queueName: "orders",
      queueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
      functionName: "shop-prod-record",
      filters: bigFilters(FilterLimits.patternsMax, FilterLimits.patternCharsMax),
    });
    expect(storedRouteBytes(route)).toBeGreaterThan(RouteStoreSizeLimits.ssm.bytes);
    expect(routeSizeProblem(route, "dynamodb")).toBeUndefined();
    expect(routeSizeProblem(route, "ssm")).toMatch(
      /^is [\d,]+ bytes stored, over SSM's 8 KB \(8,192-character\) limit on an Advanced parameter's value \(the ssm route store\)/,
    );
  });

  it("refuses a registry route too big for a store one of its stages writes, naming the limit", () => {
    const problem = (input: RegistryInput) => {
      try {
        defineDispatcher(input);
        return undefined;
      } catch (error) {
        if (!(error instanceof ConfigValidationError)) throw error;
        return error.message;
      }
    };
    expect(problem(registry({ default: "dynamodb", stages: {} }))).toBeUndefined();
    expect(problem(registry({ default: "dynamodb", stages: { prod: "ssm" } }))).toMatch(
      /routes\[0\].*the route of queue 'orders' is [\d,]+ bytes stored, over SSM's 8 KB/s,
    );
    expect(problem(registry({ default: "ssm", stages: {} }, bigFilters(2, 3_000)))).toBeUndefined();
  });
});
