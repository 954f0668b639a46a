import { describe, expect, it } from "vitest";
import {
  adminApiCacheKeyParameters,
  adminApiMethods,
  adminApiRequestParameters,
  adminApiRequestSchema,
} from "./adminApi.js";
import { awsResourceName } from "./naming.js";

describe("admin API definition", () => {
  it("declares the path name as required and view as optional, and keys the cache on both", () => {
    const byName = adminApiMethods.find((m) => m.resource === "/queues/{name}");
    if (!byName) throw new Error("missing /queues/{name}");
    expect(adminApiRequestParameters(byName)).toEqual({
      "method.request.path.name": true,
      "method.request.querystring.view": false,
    });
    expect(adminApiCacheKeyParameters(byName)).toEqual([
      "method.request.path.name",
      "method.request.querystring.view",
    ]);
  });

  it("defaults view to summary and drops unknown query parameters", () => {
    expect(
      adminApiRequestSchema.parse({
        resource: "/queues/{name}",
        pathParameters: { name: "orders" },
        queryStringParameters: { other: "x" },
      }),
    ).toEqual({
      resource: "/queues/{name}",
      pathParameters: { name: "orders" },
      queryStringParameters: { view: "summary" },
    });
    expect(adminApiRequestSchema.parse({ resource: "/queues", queryStringParameters: null })).toEqual({
      resource: "/queues",
      queryStringParameters: { view: "summary", limit: 50 },
    });
  });

  it("refuses an unknown view", () => {
    const result = adminApiRequestSchema.safeParse({
      resource: "/queues/{name}",
      pathParameters: { name: "orders" },
      queryStringParameters: { view: "everything" },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["queryStringParameters", "view"]);
  });
});

describe("awsResourceName", () => {
  it("joins app, stage and name", () => {
    expect(awsResourceName("shop", "prod", "record")).toBe("shop-prod-record");
  });

  it("keeps long names within 64 characters, distinct and stable", () => {
    const a = awsResourceName("a-very-long-application-name", "a-long-stage-name", "handler-number-one-long");
    const b = awsResourceName("a-very-long-application-name", "a-long-stage-name", "handler-number-two-long");
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(
      awsResourceName("a-very-long-application-name", "a-long-stage-name", "handler-number-one-long"),
    ).toBe(a);
  });
});
