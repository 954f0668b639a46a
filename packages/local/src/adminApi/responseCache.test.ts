import { adminApiMethods } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { cacheKeyOf, createResponseCache } from "./responseCache.js";

const byName = adminApiMethods.find((m) => m.resource === "/queues/{name}");
if (!byName) throw new Error("missing /queues/{name}");

describe("cacheKeyOf", () => {
  it("splits on the declared path and query parameters", () => {
    const key = (name: string, query: Record<string, string>) =>
      cacheKeyOf(byName, { pathParameters: { name }, queryStringParameters: query });
    expect(key("orders", { view: "summary" })).not.toBe(key("orders", { view: "loops" }));
    expect(key("orders", { view: "summary" })).not.toBe(key("audit", { view: "summary" }));
    expect(key("orders", {})).not.toBe(key("orders", { view: "summary" }));
  });

  it("ignores parameters that are not cache keys", () => {
    const a = cacheKeyOf(byName, {
      pathParameters: { name: "orders" },
      queryStringParameters: { view: "loops" },
    });
    const b = cacheKeyOf(byName, {
      pathParameters: { name: "orders" },
      queryStringParameters: { view: "loops", other: "x" },
    });
    expect(a).toBe(b);
  });
});

describe("createResponseCache", () => {
  it("expires entries after the TTL", () => {
    let now = 0;
    const cache = createResponseCache({ ttlMs: 1_000, now: () => now });
    cache.set("k", { statusCode: 200, headers: {}, body: "x" });
    now = 999;
    expect(cache.get("k")?.body).toBe("x");
    now = 1_000;
    expect(cache.get("k")).toBeUndefined();
  });
});
