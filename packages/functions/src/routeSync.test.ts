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
import {
  type CloudFormationResponse,
  cloudFormationRequestSchema,
  ForgedRequestError,
} from "./runtime/cloudFormationRequest.js";
import { createPowertoolsLogger } from "./runtime/functionLogger.js";
import type { RouteSyncSpec, RouteSyncSpecSource } from "./runtime/routeSyncSpec.js";

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

/** Registry routes as the stack writes them into the route-sync parameters (no source, no updatedAt). */
const registryRoutes = [
  { queueName: "orders", queueUrl: url("orders"), functionName: "shop-prod-record", maxLoops: 4 },
  { queueName: "payments.fifo", queueUrl: url("payments.fifo"), functionName: "shop-prod-record" },
];

const deployId = "2026-01-01T00:00:00.000Z";
const serviceToken = "arn:aws:lambda:us-east-1:123456789012:function:shop-prod-route-sync";
const stackId = "arn:aws:cloudformation:us-east-1:123456789012:stack/shop-prod-Dispatcher/1";

function properties(
  overrides: Partial<RouteSyncProperties> = {},
): RouteSyncProperties & { ServiceToken: string } {
  return { ServiceToken: serviceToken, RouteStore: location, DeployId: deployId, ...overrides };
}

/** The deploy's parameters, as route-sync reads them. */
function specOf(overrides: Partial<RouteSyncSpec> = {}): RouteSyncSpecSource & { reads: number } {
  const source = {
    reads: 0,
    async read() {
      source.reads++;
      return { deployId, resetRoutes: false, routes: registryRoutes, ...overrides };
    },
  };
  return source;
}

/** A CloudFormation request as CloudFormation sends it to the ServiceToken (ResponseURL and all). */
function cfnEvent(
  requestType: "Create" | "Update" | "Delete",
  props: object = properties(),
  physicalResourceId = location,
) {
  return {
    RequestType: requestType,
    ServiceToken: serviceToken,
    ResponseURL:
      "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=1",
    StackId: stackId,
    RequestId: "req-1",
    LogicalResourceId: "RouteSync",
    ResourceType: "Custom::RouteSync",
    ResourceProperties: props,
    ...(requestType === "Create" ? {} : { PhysicalResourceId: physicalResourceId }),
    ...(requestType === "Update" ? { OldResourceProperties: props } : {}),
  };
}

/** The request as the handler hands it to the sync, once its shape is checked. */
const cfnRequest = (...args: Parameters<typeof cfnEvent>) =>
  cloudFormationRequestSchema.parse(cfnEvent(...args));

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

const sync = (store: RouteStore, spec: RouteSyncSpecSource = specOf()) =>
  createRouteSync({ routes: store, location, spec, clock, logger: silentLogger });

describe("route sync on Create and Update", () => {
  it("writes every registry route as a deploy route stamped with the deploy time, and names the store as the physical id", async () => {
    const { store, routes } = fakeStore();
    const response = await sync(store).onEvent(cfnRequest("Create"));
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
    const response = await sync(store).onEvent(cfnRequest("Update"));
    expect(response.Data).toEqual({ Written: "0", Unchanged: "1", Deleted: "1", KeptEdits: "orders" });
    expect(writes).toEqual(["delete legacy"]);
    expect(routes.get("orders")).toMatchObject({ functionName: "shop-prod-other", source: "edit" });
    expect(routes.get("adhoc")?.source).toBe("edit");

    // `routes rm payments.fifo`, then the next deploy (same template but for DeployId) writes it again.
    await store.delete("payments.fifo");
    writes.length = 0;
    const next = specOf({ deployId: "next" });
    await sync(store, next).onEvent(cfnRequest("Update", properties({ DeployId: "next" })));
    expect(writes).toEqual(["put payments.fifo"]);
  });

  it("overwrites a deploy route whose registry entry changed", async () => {
    const { store, routes } = fakeStore([deployed("orders", { maxLoops: 2 }), deployed("payments.fifo")]);
    const response = await sync(store).onEvent(cfnRequest("Update"));
    expect(response.Data.Written).toBe("1");
    expect(routes.get("orders")).toMatchObject({ maxLoops: 4, updatedAt: now });
  });

  it("with the deploy's resetRoutes resets edits to the registry and deletes routes created at run time", async () => {
    const { store, routes } = fakeStore([
      edited("orders", "shop-prod-other"),
      edited("adhoc", "shop-prod-record"),
    ]);
    const response = await sync(store, specOf({ resetRoutes: true })).onEvent(cfnRequest("Update"));
    expect(response.Data).toEqual({ Written: "2", Unchanged: "0", Deleted: "1", KeptEdits: "none" });
    expect(routes.get("orders")).toMatchObject({ functionName: "shop-prod-record", source: "deploy" });
    expect(routes.has("adhoc")).toBe(false);
  });

  it("cuts a long list of kept edits short, keeping CloudFormation's 4 KB response limit", async () => {
    const many = Array.from({ length: 200 }, (_, i) => `queue-with-a-long-name-${i}`);
    const { store } = fakeStore(many.map((q) => edited(q, "shop-prod-other")));
    const routes = many.map((q) => ({ queueName: q, queueUrl: url(q), functionName: "shop-prod-record" }));
    const response = await sync(store, specOf({ routes })).onEvent(cfnRequest("Update"));
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
    const response = await sync(store).onEvent(cfnRequest("Delete"));
    expect(response).toEqual({
      PhysicalResourceId: location,
      Data: { Written: "0", Unchanged: "0", Deleted: "1", KeptEdits: "none" },
    });
    expect([...routes.keys()].sort()).toEqual(["adhoc", "orders"]);
  });

  it("does not need valid properties (they may be an older stack's)", async () => {
    const { store, routes } = fakeStore([deployed("payments.fifo")]);
    await sync(store).onEvent(cfnRequest("Delete", { ServiceToken: "x", SomethingOld: "1" }));
    expect(routes.size).toBe(0);
  });

  it("touches nothing when the deleted resource names another store (routeStore changed)", async () => {
    const { store, writes } = fakeStore([deployed("payments.fifo")]);
    const response = await sync(store).onEvent(
      cfnRequest("Delete", properties(), "dynamodb:shop-prod-routes"),
    );
    expect(response.PhysicalResourceId).toBe("dynamodb:shop-prod-routes");
    expect(writes).toEqual([]);
  });

  it("deletes the valid deploy routes around a corrupt one instead of failing the stack's removal", async () => {
    const { store, writes } = fakeStore([deployed("payments.fifo")], { corrupt: ["broken"] });
    await sync(store).onEvent(cfnRequest("Delete"));
    expect(writes).toEqual(["delete payments.fifo"]);
  });
});

describe("route sync failures (the handler answers a rejection FAILED)", () => {
  it("rejects when the store fails, naming the store and the cause", async () => {
    const { store } = fakeStore([], { failPutOf: "payments.fifo" });
    const failure = sync(store).onEvent(cfnRequest("Create"));
    await expect(failure).rejects.toBeInstanceOf(RouteSyncError);
    await expect(failure).rejects.toThrow(`route sync (Create) failed on ${location}: Rate exceeded`);
    await expect(failure).rejects.toMatchObject({ cause: { name: "ThrottlingException" } });
  });

  it("rejects on a corrupt stored route at Create/Update, as the local deploy does", async () => {
    const { store } = fakeStore([], { corrupt: ["broken"] });
    await expect(sync(store).onEvent(cfnRequest("Update"))).rejects.toThrow(/\/shop\/prod\/routes\/broken/);
  });

  it.each([
    ["an unknown property", { ...properties(), Extra: "1" }, /Extra/],
    ["another store than the function's", properties({ RouteStore: "ssm:/other/" }), /'ssm:\/other\/'/],
    [
      "another deploy than the parameters'",
      properties({ DeployId: "1999-01-01T00:00:00.000Z" }),
      /deploy '1999-01-01T00:00:00.000Z', the route-sync parameters hold deploy '2026-01-01T00:00:00.000Z'/,
    ],
  ])("rejects %s and writes nothing", async (_what, props, message) => {
    const { store, writes } = fakeStore();
    await expect(sync(store).onEvent(cfnRequest("Create", props))).rejects.toThrow(message);
    expect(writes).toEqual([]);
  });

  it("rejects a registry route of the parameters that does not parse, and writes nothing", async () => {
    const { store, writes } = fakeStore();
    const spec = specOf({ routes: [{ ...registryRoutes[0], minLoops: 5, maxLoops: 2 }] });
    await expect(sync(store, spec).onEvent(cfnRequest("Create"))).rejects.toThrow(
      /route 0 of the deploy's route-sync parameters is invalid: .*minLoops \(5\) must not exceed maxLoops \(2\)/s,
    );
    expect(writes).toEqual([]);
  });

  it("takes neither routes nor the reset flag from the request: one that carries them changes nothing", async () => {
    const { store, routes, writes } = fakeStore([
      deployed("payments.fifo"),
      edited("orders", "shop-prod-other"),
    ]);
    const spec = specOf();
    const forged = properties();
    Object.assign(forged, { Routes: "[]", ResetRoutes: "true" });
    await expect(sync(store, spec).onEvent(cfnRequest("Update", forged))).rejects.toThrow(
      /invalid RouteSync properties.*Routes.*ResetRoutes/s,
    );
    expect(writes).toEqual([]);
    expect(spec.reads).toBe(0);
    expect([...routes.keys()].sort()).toEqual(["orders", "payments.fifo"]);
  });
});

describe("route sync Lambda handler", () => {
  const logger = createPowertoolsLogger("route-sync-test");
  logger.setLogLevel("SILENT");
  const context = { awsRequestId: "req-1", functionName: "route-sync" } as Context;
  const identity = { stackId, logicalResourceId: "RouteSync", region: "us-east-1" };

  /** A handler whose CloudFormation says the resource is in `status`, recording what it answers. */
  function handlerWith(store: RouteStore, status: string | undefined = "CREATE_IN_PROGRESS") {
    const answers: { url: string; response: CloudFormationResponse }[] = [];
    let built = 0;
    let currentStatus = status;
    const handler = createRouteSyncHandler(
      () => {
        built++;
        return sync(store);
      },
      () => ({
        identity,
        stackResources: { status: async () => currentStatus },
        respond: async (url, response) => {
          answers.push({ url, response });
        },
      }),
      logger,
    );
    return {
      handler,
      answers,
      built: () => built,
      setStatus: (s: string) => {
        currentStatus = s;
      },
    };
  }

  it("syncs a request CloudFormation is making and answers SUCCESS at its response URL, building the sync once", async () => {
    const { store, routes } = fakeStore();
    const h = handlerWith(store);
    const response = await h.handler(cfnEvent("Create"), context);
    expect(response.Data.Written).toBe("2");
    expect(routes.size).toBe(2);
    expect(h.answers).toEqual([
      {
        url: cfnEvent("Create").ResponseURL,
        response: {
          Status: "SUCCESS",
          StackId: stackId,
          RequestId: "req-1",
          LogicalResourceId: "RouteSync",
          PhysicalResourceId: location,
          Data: response.Data,
        },
      },
    ]);
    h.setStatus("DELETE_IN_PROGRESS");
    await h.handler(cfnEvent("Delete"), context);
    expect(h.built()).toBe(1);
  });

  it("answers FAILED with the reason and rejects (FunctionError) when the sync fails", async () => {
    const { store } = fakeStore([], { failPutOf: "orders" });
    const h = handlerWith(store);
    await expect(h.handler(cfnEvent("Create"), context)).rejects.toBeInstanceOf(RouteSyncError);
    expect(h.answers[0]?.response).toMatchObject({
      Status: "FAILED",
      Reason: expect.stringMatching(/Rate exceeded/),
    });
  });

  it.each([
    ["another stack", { StackId: "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1" }, /stack/],
    ["another resource", { LogicalResourceId: "Other" }, /resource 'Other'/],
    [
      "a response URL of the caller's choice",
      { ResponseURL: "https://attacker.example/collect" },
      /response URL/,
    ],
    [
      "CloudFormation's bucket of another region",
      { ResponseURL: "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x" },
      /response URL/,
    ],
    [
      "a request that is not CloudFormation's shape",
      { RequestType: "Poke" },
      /not a CloudFormation custom resource request/,
    ],
  ])("refuses a request for %s unanswered and changes nothing", async (_what, override, message) => {
    const { store, writes } = fakeStore([deployed("payments.fifo")]);
    const h = handlerWith(store, "DELETE_IN_PROGRESS");
    await expect(h.handler({ ...cfnEvent("Delete"), ...override }, context)).rejects.toThrow(message);
    await expect(h.handler({ ...cfnEvent("Delete"), ...override }, context)).rejects.toBeInstanceOf(
      ForgedRequestError,
    );
    expect(writes).toEqual([]);
    expect(h.answers).toEqual([]);
  });

  it("refuses a well-formed request that CloudFormation is not making (invoked between deploys) and changes nothing", async () => {
    const { store, writes } = fakeStore([deployed("payments.fifo"), edited("orders", "shop-prod-other")]);
    const h = handlerWith(store, "UPDATE_COMPLETE");
    for (const type of ["Create", "Update", "Delete"] as const) {
      await expect(h.handler(cfnEvent(type), context)).rejects.toThrow(/CloudFormation is not making this/);
    }
    expect(writes).toEqual([]);
    expect(h.answers.map((a) => a.response.Status)).toEqual(["FAILED", "FAILED", "FAILED"]);
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
