import type { Route } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import type { RouteStore } from "./ports.js";
import { queueNameOf } from "./queueName.js";
import { createRouteResolver } from "./routeResolver.js";
import { InvalidStoredRouteError } from "./routeStoreErrors.js";

const url = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
const route = { queueName: "orders", queueUrl: url, functionName: "record" } as Route;

function counting(get: RouteStore["get"]) {
  const store = {
    calls: 0,
    get: async (name: string) => {
      store.calls++;
      return get(name);
    },
  };
  return store;
}

describe("queueNameOf", () => {
  it("takes the last path segment of the queue URL", () => {
    expect(queueNameOf(url)).toBe("orders");
    expect(queueNameOf("http://127.0.0.1:4566/000000000000/payments.fifo")).toBe("payments.fifo");
  });
});

describe("createRouteResolver", () => {
  it("serves a route from the cache until the TTL passes, then refetches", async () => {
    let now = 0;
    const store = counting(async () => route);
    const resolver = createRouteResolver({ store, clock: { now: () => now }, ttlMs: 1_000 });
    expect(await resolver.resolve(url)).toBe(route);
    now = 999;
    await resolver.resolve(url);
    expect(store.calls).toBe(1);
    now = 1_000;
    await resolver.resolve(url);
    expect(store.calls).toBe(2);
  });

  it("caches a miss only briefly", async () => {
    let now = 0;
    let stored: Route | undefined;
    const store = counting(async () => stored);
    const resolver = createRouteResolver({ store, clock: { now: () => now }, ttlMs: 60_000, missTtlMs: 500 });
    expect(await resolver.resolve(url)).toBeUndefined();
    stored = route;
    now = 400;
    expect(await resolver.resolve(url)).toBeUndefined();
    now = 500;
    expect(await resolver.resolve(url)).toBe(route);
    expect(store.calls).toBe(2);
  });

  it("keeps serving the stale value when the store fails, and propagates when nothing is cached", async () => {
    let now = 0;
    let fail = false;
    const store = counting(async () => {
      if (fail) throw new Error("ThrottlingException");
      return route;
    });
    const resolver = createRouteResolver({ store, clock: { now: () => now }, ttlMs: 100 });
    await resolver.resolve(url);
    fail = true;
    now = 10_000;
    expect(await resolver.resolve(url)).toBe(route);
    await expect(resolver.resolve("https://sqs.us-east-1.amazonaws.com/1/other")).rejects.toThrow(
      "Throttling",
    );
  });
});

describe("createRouteResolver with a corrupt stored route", () => {
  it("logs and skips it (no route), even when a good one was cached, and picks up the repair", async () => {
    let now = 0;
    let stored: "good" | "corrupt" = "good";
    const errors: { message: string; fields: unknown }[] = [];
    const store = counting(async () => {
      if (stored === "good") return route;
      throw new InvalidStoredRouteError([
        { key: "/shop/prod/routes/orders", message: "queueUrl: must be an SQS endpoint" },
      ]);
    });
    const resolver = createRouteResolver({
      store,
      clock: { now: () => now },
      ttlMs: 1_000,
      missTtlMs: 500,
      logger: { error: (message, fields) => void errors.push({ message, fields }) },
    });
    expect(await resolver.resolve(url)).toBe(route);
    stored = "corrupt";
    now = 1_000;
    expect(await resolver.resolve(url)).toBeUndefined();
    expect(errors).toEqual([
      {
        message: "stored route does not parse; skipped until repaired ('routes set' or 'routes rm')",
        fields: {
          queueUrl: url,
          error:
            "stored route '/shop/prod/routes/orders' does not parse: /shop/prod/routes/orders: queueUrl: must be an SQS endpoint",
        },
      },
    ]);
    now = 1_200;
    expect(await resolver.resolve(url)).toBeUndefined();
    expect(store.calls).toBe(2);
    stored = "good";
    now = 1_500;
    expect(await resolver.resolve(url)).toBe(route);
  });
});
