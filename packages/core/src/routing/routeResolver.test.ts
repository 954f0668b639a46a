import type { Route } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import type { RouteStore } from "./ports.js";
import { queueNameOf } from "./queueName.js";
import { createRouteResolver } from "./routeResolver.js";

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

/** A store with a version marker that counts every read, as the edge would. */
function markedStore(routes: Map<string, Route>) {
  const store = {
    marker: "v1",
    routeReads: 0,
    markerReads: 0,
    failMarker: false,
    get: async (name: string) => {
      store.routeReads++;
      return routes.get(name);
    },
    version: async () => {
      store.markerReads++;
      if (store.failMarker) throw new Error("ThrottlingException");
      return store.marker;
    },
  };
  return store;
}

describe("createRouteResolver with a version marker", () => {
  const other = "https://sqs.us-east-1.amazonaws.com/123456789012/unrouted";

  it("reads the marker once per TTL and no route again while it is unchanged, hits and misses alike", async () => {
    let now = 0;
    const store = markedStore(new Map([["orders", route]]));
    const resolver = createRouteResolver({ store, clock: { now: () => now }, ttlMs: 10_000 });
    expect(await resolver.resolve(url)).toBe(route);
    expect(await resolver.resolve(other)).toBeUndefined();
    // An hour of cycles, every 100 ms: 360 marker reads, and still just the two first route reads.
    for (now = 100; now < 3_600_000; now += 100) {
      await resolver.resolve(url);
      await resolver.resolve(other);
    }
    expect(store.routeReads).toBe(2 + 2 * 11); // plus one re-read of each per 5-minute max age
    expect(store.markerReads).toBe(360);
  });

  it("re-reads a route once after the marker changes, within one TTL of the write", async () => {
    let now = 0;
    const routes = new Map([["orders", route]]);
    const store = markedStore(routes);
    const resolver = createRouteResolver({ store, clock: { now: () => now }, ttlMs: 10_000 });
    await resolver.resolve(url);
    const paused = { ...route, paused: true };
    routes.set("orders", paused);
    store.marker = "v2";
    now = 9_999;
    expect(await resolver.resolve(url)).toBe(route);
    now = 10_000;
    expect(await resolver.resolve(url)).toBe(paused);
    now = 10_500;
    expect(await resolver.resolve(url)).toBe(paused);
    expect(store.routeReads).toBe(2);
  });

  it("picks up a route added for a queue it had cached as a miss once the marker changes", async () => {
    let now = 0;
    const routes = new Map<string, Route>();
    const store = markedStore(routes);
    const resolver = createRouteResolver({ store, clock: { now: () => now }, ttlMs: 1_000 });
    expect(await resolver.resolve(url)).toBeUndefined();
    routes.set("orders", route);
    now = 5_000; // the marker did not change: still a miss, and no route read
    expect(await resolver.resolve(url)).toBeUndefined();
    store.marker = "v2";
    now = 6_000;
    expect(await resolver.resolve(url)).toBe(route);
    expect(store.routeReads).toBe(2);
  });

  it("falls back to per-route TTLs while the marker cannot be read, and serves what it has on store errors", async () => {
    let now = 0;
    const store = markedStore(new Map([["orders", route]]));
    const resolver = createRouteResolver({ store, clock: { now: () => now }, ttlMs: 1_000 });
    await resolver.resolve(url);
    store.failMarker = true;
    now = 1_000;
    expect(await resolver.resolve(url)).toBe(route);
    expect(store.routeReads).toBe(2);
    now = 1_500;
    expect(await resolver.resolve(url)).toBe(route);
    expect(store.routeReads).toBe(2);
    store.get = async () => {
      throw new Error("ThrottlingException");
    };
    now = 2_000;
    expect(await resolver.resolve(url)).toBe(route);
    await expect(resolver.resolve(other)).rejects.toThrow("Throttling");
  });
});
