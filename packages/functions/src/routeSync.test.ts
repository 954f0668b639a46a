import { parseRoute, type Route, type RouteInput } from "@sqs-dispatcher/config";
import { type Clock, InvalidStoredRouteError, type RouteStore, silentLogger } from "@sqs-dispatcher/core";
import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import {
  createRouteSync,
  createRouteSyncHandler,
  RouteSyncError,
  type RouteSyncProperties,
  routeStoreLocation,
} from "./routeSync.js";
import { createPowertoolsLogger } from "./runtime/functionLogger.js";

const location = "ssm:/shop/prod/routes/";
const now = 1_764_170_000_000;
const clock: Clock = { now: () => now, monotonic: () => now, sleep: async () => {} };
const url = (queue: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${queue}`;

/** A route store in memory that records every write, and can be told to fail a write. */
function fakeStore(initial: RouteInput[] = [], options: { failPutOf?: string; corrupt?: string[] } = {}) {
  const routes = new Map<string, Route>(initial.map((r) => [r.queueName, parseRoute(r)]));
  const writes: string[] = [];
  const store: RouteStore = {
    async get(queueName) {
      return routes.get(queueName);
    },
    async list() {
      const valid = [...routes.values()].sort((a, b) => a.queueName.localeCompare(b.queueName));
      if (options.corrupt?.length) {
        throw new InvalidStoredRouteError(
          options.corrupt.map((q) => ({ key: `/shop/prod/routes/${q}`, message: "not JSON" })),
          valid,
        );
      }
      return valid;
    },
    async put(route) {
      if (route.queueName === options.failPutOf) {
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      }
      writes.push(`put ${route.queueName}`);
      routes.set(route.queueName, parseRoute(route));
    },
    async delete(queueName) {
      writes.push(`delete ${queueName}`);
      return routes.delete(queueName);
    },
  };
  return { store, routes, writes };
}

/** Registry routes as the stack writes them into the Routes property (no source, no updatedAt). */
const registryRoutes = [
  { queueName: "orders", queueUrl: url("orders"), functionName: "shop-prod-record", maxLoops: 4 },
  { queueName: "payments.fifo", queueUrl: url("payments.fifo"), functionName: "shop-prod-record" },
];

function properties(
  overrides: Partial<RouteSyncProperties> = {},
): RouteSyncProperties & { ServiceToken: string } {
  return {
    ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:shop-prod-route-sync-provider",
    Routes: JSON.stringify(registryRoutes),
    ResetRoutes: "false",
    RouteStore: location,
    DeployId: "2026-01-01T00:00:00.000Z",
    ...overrides,
  };
}

/** A CloudFormation event as the Provider framework passes it on (ResponseURL and all). */
function cfnEvent(
  requestType: "Create" | "Update" | "Delete",
  props: object = properties(),
  physicalResourceId = location,
) {
  return {
    RequestType: requestType,
    ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:shop-prod-route-sync-provider",
    ResponseURL: "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
    StackId: "arn:aws:cloudformation:us-east-1:123456789012:stack/shop-prod-Dispatcher/1",
    RequestId: "req-1",
    LogicalResourceId: "RouteSync",
    ResourceType: "Custom::RouteSync",
    ResourceProperties: props,
    ...(requestType === "Create" ? {} : { PhysicalResourceId: physicalResourceId }),
    ...(requestType === "Update" ? { OldResourceProperties: props } : {}),
  };
}

const edited = (queueName: string, functionName: string): RouteInput => ({
  queueName,
  queueUrl: url(queueName),
  functionName,
  source: "edit",
  updatedAt: now - 60_000,
});
const deployed = (queueName: string, extra: Partial<RouteInput> = {}): RouteInput => ({
  queueName,
  queueUrl: url(queueName),
  functionName: "shop-prod-record",
  source: "deploy",
  updatedAt: 1,
  ...extra,
});

const sync = (store: RouteStore) => createRouteSync({ routes: store, location, clock, logger: silentLogger });

describe("route sync on Create and Update", () => {
  it("writes every registry route as a deploy route stamped with the deploy time, and names the store as the physical id", async () => {
    const { store, routes } = fakeStore();
    const response = await sync(store).onEvent(cfnEvent("Create"));
    expect(response).toEqual({
      PhysicalResourceId: location,
      Data: { Written: "2", Unchanged: "0", Deleted: "0", KeptEdits: "none" },
    });
    expect(routes.get("orders")).toMatchObject({
      functionName: "shop-prod-record",
      maxLoops: 4,
      minLoops: 1,
      source: "deploy",
      updatedAt: now,
    });
    expect(routes.get("payments.fifo")?.queueUrl).toBe(url("payments.fifo"));
  });

  it("keeps a run-time edit and a run-time route, rewrites a removed route, deletes a dropped deploy route, and skips unchanged ones", async () => {
    const { store, routes, writes } = fakeStore([
      edited("orders", "shop-prod-other"),
      deployed("payments.fifo"),
      deployed("legacy"),
      edited("adhoc", "shop-prod-record"),
    ]);
    const response = await sync(store).onEvent(cfnEvent("Update"));
    expect(response.Data).toEqual({ Written: "0", Unchanged: "1", Deleted: "1", KeptEdits: "orders" });
    expect(writes).toEqual(["delete legacy"]);
    expect(routes.get("orders")).toMatchObject({ functionName: "shop-prod-other", source: "edit" });
    expect(routes.get("adhoc")?.source).toBe("edit");

    // `routes rm payments.fifo`, then the next deploy (same template but for DeployId) writes it again.
    await store.delete("payments.fifo");
    writes.length = 0;
    await sync(store).onEvent(cfnEvent("Update", properties({ DeployId: "next" })));
    expect(writes).toEqual(["put payments.fifo"]);
  });

  it("overwrites a deploy route whose registry entry changed", async () => {
    const { store, routes } = fakeStore([deployed("orders", { maxLoops: 2 }), deployed("payments.fifo")]);
    const response = await sync(store).onEvent(cfnEvent("Update"));
    expect(response.Data.Written).toBe("1");
    expect(routes.get("orders")).toMatchObject({ maxLoops: 4, updatedAt: now });
  });

  it("with ResetRoutes resets edits to the registry and deletes routes created at run time", async () => {
    const { store, routes } = fakeStore([
      edited("orders", "shop-prod-other"),
      edited("adhoc", "shop-prod-record"),
    ]);
    const response = await sync(store).onEvent(cfnEvent("Update", properties({ ResetRoutes: "true" })));
    expect(response.Data).toEqual({ Written: "2", Unchanged: "0", Deleted: "1", KeptEdits: "none" });
    expect(routes.get("orders")).toMatchObject({ functionName: "shop-prod-record", source: "deploy" });
    expect(routes.has("adhoc")).toBe(false);
  });

  it("cuts a long list of kept edits short, keeping CloudFormation's 4 KB response limit", async () => {
    const many = Array.from({ length: 200 }, (_, i) => `queue-with-a-long-name-${i}`);
    const { store } = fakeStore(many.map((q) => edited(q, "shop-prod-other")));
    const routesProperty = JSON.stringify(
      many.map((q) => ({ queueName: q, queueUrl: url(q), functionName: "shop-prod-record" })),
    );
    const response = await sync(store).onEvent(cfnEvent("Update", properties({ Routes: routesProperty })));
    expect(response.Data.KeptEdits.length).toBeLessThan(1_100);
    expect(response.Data.KeptEdits).toMatch(/… \(200 in all\)$/);
  });
});

describe("route sync on Delete", () => {
  it("removes the deploy routes and keeps run-time edits", async () => {
    const { store, routes } = fakeStore([
      deployed("payments.fifo"),
      edited("orders", "shop-prod-other"),
      edited("adhoc", "shop-prod-record"),
    ]);
    const response = await sync(store).onEvent(cfnEvent("Delete"));
    expect(response).toEqual({
      PhysicalResourceId: location,
      Data: { Written: "0", Unchanged: "0", Deleted: "1", KeptEdits: "none" },
    });
    expect([...routes.keys()].sort()).toEqual(["adhoc", "orders"]);
  });

  it("does not need valid properties (they may be an older stack's)", async () => {
    const { store, routes } = fakeStore([deployed("payments.fifo")]);
    await sync(store).onEvent(cfnEvent("Delete", { ServiceToken: "x", SomethingOld: "1" }));
    expect(routes.size).toBe(0);
  });

  it("touches nothing when the deleted resource names another store (routeStore changed)", async () => {
    const { store, writes } = fakeStore([deployed("payments.fifo")]);
    const response = await sync(store).onEvent(cfnEvent("Delete", properties(), "dynamodb:shop-prod-routes"));
    expect(response.PhysicalResourceId).toBe("dynamodb:shop-prod-routes");
    expect(writes).toEqual([]);
  });

  it("deletes the valid deploy routes around a corrupt one instead of failing the stack's removal", async () => {
    const { store, writes } = fakeStore([deployed("payments.fifo")], { corrupt: ["broken"] });
    await sync(store).onEvent(cfnEvent("Delete"));
    expect(writes).toEqual(["delete payments.fifo"]);
  });
});

describe("route sync failures (the Provider framework reports a rejection as FAILED)", () => {
  it("rejects when the store fails, naming the store and the cause", async () => {
    const { store } = fakeStore([], { failPutOf: "payments.fifo" });
    const failure = sync(store).onEvent(cfnEvent("Create"));
    await expect(failure).rejects.toBeInstanceOf(RouteSyncError);
    await expect(failure).rejects.toThrow(`route sync (Create) failed on ${location}: Rate exceeded`);
    await expect(failure).rejects.toMatchObject({ cause: { name: "ThrottlingException" } });
  });

  it("rejects on a corrupt stored route at Create/Update, as the local deploy does", async () => {
    const { store } = fakeStore([], { corrupt: ["broken"] });
    await expect(sync(store).onEvent(cfnEvent("Update"))).rejects.toThrow(/\/shop\/prod\/routes\/broken/);
  });

  it.each([
    ["an unknown ResetRoutes value", properties({ ResetRoutes: "yes" as "true" }), /ResetRoutes/],
    ["an unknown property", { ...properties(), Extra: "1" }, /Extra/],
    ["Routes that are not JSON", properties({ Routes: "[{" }), /Routes property is not JSON/],
    [
      "a route whose bounds cross",
      properties({ Routes: JSON.stringify([{ ...registryRoutes[0], minLoops: 5, maxLoops: 2 }]) }),
      /route 0 of the Routes property is invalid: .*minLoops \(5\) must not exceed maxLoops \(2\)/s,
    ],
    ["another store than the function's", properties({ RouteStore: "ssm:/other/" }), /'ssm:\/other\/'/],
  ])("rejects %s and writes nothing", async (_what, props, message) => {
    const { store, writes } = fakeStore();
    await expect(sync(store).onEvent(cfnEvent("Create", props))).rejects.toThrow(message);
    expect(writes).toEqual([]);
  });

  it("rejects an event that is not a custom resource event", async () => {
    const { store } = fakeStore();
    await expect(sync(store).onEvent({ RequestType: "Poke" })).rejects.toThrow(
      /not a CloudFormation custom resource event/,
    );
  });
});

describe("route sync Lambda handler", () => {
  const logger = createPowertoolsLogger("route-sync-test");
  logger.setLogLevel("SILENT");
  const context = { awsRequestId: "req-1", functionName: "route-sync" } as Context;

  it("builds the sync once and returns its response; a failure is a rejected invocation (FunctionError)", async () => {
    const { store } = fakeStore([], { failPutOf: "orders" });
    let built = 0;
    const handler = createRouteSyncHandler(() => {
      built++;
      return sync(store);
    }, logger);
    await expect(handler(cfnEvent("Create"), context)).rejects.toBeInstanceOf(RouteSyncError);
    const response = await handler(cfnEvent("Delete"), context);
    expect(response.PhysicalResourceId).toBe(location);
    expect(built).toBe(1);
  });
});

describe("routeStoreLocation", () => {
  it("names the SSM path or the routes table, and the missing variable", () => {
    expect(routeStoreLocation({ ROUTE_STORE: "ssm", ROUTES_PATH: "/a/b/routes/" })).toBe("ssm:/a/b/routes/");
    expect(routeStoreLocation({ ROUTE_STORE: "dynamodb", ROUTES_TABLE: "a-b-routes" })).toBe(
      "dynamodb:a-b-routes",
    );
    expect(() => routeStoreLocation({ ROUTE_STORE: "dynamodb" })).toThrow(/ROUTES_TABLE/);
  });
});
