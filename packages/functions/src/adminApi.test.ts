import type { Route } from "@sqs-dispatcher/config";
import type { StatusDeps } from "@sqs-dispatcher/core";
import { describe, expect, it } from "vitest";
import { createAdminApiHandler } from "./adminApi.js";

const url = "http://127.0.0.1:4566/000000000000/orders";
const route: Route = {
  queueName: "orders",
  queueUrl: url,
  functionName: "record",
  batchSize: 10,
  batchWindowSec: 0,
  concurrency: 1,
  minLoops: 1,
  maxLoops: 2,
  scaleStep: 1,
  alarms: [],
  scaling: { mode: "alarm" },
  paused: false,
  idle: "shared",
  source: "deploy",
  updatedAt: 0,
};

/** In-memory ports: one routed queue with two loops. */
function fakeStatus(fail = false): StatusDeps {
  return {
    routes: { get: async (name) => (name === "orders" ? route : undefined), list: async () => [route] },
    leases: {
      listByQueue: async () => [
        { queueUrl: url, token: "t1", loopId: "l1", createdAt: 1_000, lastUsed: 9_000 },
        { queueUrl: url, token: "t2", loopId: "l2", createdAt: 1_000, lastUsed: 8_000 },
      ],
    },
    queues: {
      listQueueUrls: async () => {
        if (fail) throw new Error("boom");
        return [url];
      },
      queueUrl: async (name) => (name === "orders" ? url : undefined),
      attributes: async () => ({
        arn: "arn:aws:sqs:us-east-1:000000000000:orders",
        visible: 3,
        inFlight: 1,
        delayed: 0,
      }),
    },
    alarms: { queueAlarms: async () => [] },
    clock: { now: () => 10_000 },
    logger: { warn() {} },
  };
}

const errors: unknown[] = [];
const handlerWith = (fail = false) =>
  createAdminApiHandler(() => ({
    status: fakeStatus(fail),
    logger: { info() {}, error: (m) => errors.push(m) },
  }));

const byName = (name: string, view?: string) => ({
  resource: "/queues/{name}",
  pathParameters: { name },
  queryStringParameters: view === undefined ? null : { view },
});

describe("admin API handler", () => {
  it("answers view=summary with loop counts and view=loops with each loop", async () => {
    const handler = handlerWith();
    const summary = await handler(byName("orders", "summary"));
    expect(summary.statusCode).toBe(200);
    expect(JSON.parse(summary.body)).toMatchObject({
      view: "summary",
      queues: [
        {
          name: "orders",
          url,
          loopCount: 2,
          state: "active",
          handlerConcurrency: 2,
          visible: 3,
          inFlight: 1,
          route: { functionName: "record" },
        },
      ],
    });
    expect(JSON.parse(summary.body).queues[0]).not.toHaveProperty("loops");
    const loops = JSON.parse((await handler(byName("orders", "loops"))).body);
    expect(loops).toEqual({
      view: "loops",
      queues: [
        {
          name: "orders",
          url,
          loops: [
            {
              token: "t1",
              loopId: "l1",
              lastUsed: 9_000,
              heartbeatAgeMs: 1_000,
              startedAt: null,
              blockedReason: null,
            },
            {
              token: "t2",
              loopId: "l2",
              lastUsed: 8_000,
              heartbeatAgeMs: 2_000,
              startedAt: null,
              blockedReason: null,
            },
          ],
        },
      ],
    });
  });

  it("defaults to the summary view and lists every queue on GET /queues", async () => {
    const res = await handlerWith()({
      resource: "/queues",
      pathParameters: null,
      queryStringParameters: null,
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      view: "summary",
      queues: [{ name: "orders", loopCount: 2 }],
    });
  });

  it("refuses an unknown view with 400 naming the parameter", async () => {
    const res = await handlerWith()(byName("orders", "everything"));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/^bad request: queryStringParameters\.view: /);
  });

  it("answers 404 for a queue that is neither routed nor exists", async () => {
    const res = await handlerWith()(byName("nope"));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body).message).toBe("queue 'nope' is neither routed nor exists");
  });

  it("answers 500 and logs when status cannot be read", async () => {
    const res = await handlerWith(true)({
      resource: "/queues",
      pathParameters: null,
      queryStringParameters: null,
    });
    expect(res.statusCode).toBe(500);
    expect(errors).toContain("admin API request failed");
  });

  it.each([
    ["a space", "bad name"],
    ["a slash", "a/b"],
    ["81 characters", "q".repeat(81)],
    ["a dot that is not .fifo", "orders.txt"],
  ])("answers 400 (not 500) for a queue name with %s", async (_name, name) => {
    const res = await handlerWith()(byName(name));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).message).toBe(
      "bad request: pathParameters.name: must be 1-80 characters of letters, digits, '-' or '_' (a FIFO queue's name ends in '.fifo')",
    );
  });

  it.each([
    ["limit=0", { limit: "0" }, "queryStringParameters.limit: must be a whole number from 1 to 50"],
    ["limit=51", { limit: "51" }, "queryStringParameters.limit: must be a whole number from 1 to 50"],
    ["limit=ten", { limit: "ten" }, "queryStringParameters.limit: must be a whole number from 1 to 50"],
    [
      "after=bad name",
      { after: "bad name" },
      "queryStringParameters.after: must be 1-80 characters of letters, digits, '-' or '_' (a FIFO queue's name ends in '.fifo')",
    ],
  ])("answers 400 for GET /queues?%s", async (_name, query, message) => {
    const res = await handlerWith()({
      resource: "/queues",
      pathParameters: null,
      queryStringParameters: query,
    });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).message).toBe(`bad request: ${message}`);
  });

  it("pages GET /queues by name, describing only the page's queues", async () => {
    const names = ["a", "b", "c", "d", "e"];
    const described: string[] = [];
    const status = fakeStatus();
    const paged: StatusDeps = {
      ...status,
      routes: { get: async () => undefined, list: async () => [] },
      queues: {
        ...status.queues,
        listQueueUrls: async () => names.map((n) => `http://127.0.0.1:4566/000000000000/${n}`),
        attributes: async (queueUrl) => {
          described.push(queueUrl.split("/").pop() ?? "");
          return { arn: "arn", visible: 0, inFlight: 0, delayed: 0 };
        },
      },
    };
    const handler = createAdminApiHandler(() => ({ status: paged, logger: { info() {}, error() {} } }));
    const first = JSON.parse(
      (await handler({ resource: "/queues", pathParameters: null, queryStringParameters: { limit: "2" } }))
        .body,
    );
    expect(first.queues.map((q: { name: string }) => q.name)).toEqual(["a", "b"]);
    expect(first.next).toBe("b");
    expect(described.sort()).toEqual(["a", "b"]);
    const last = JSON.parse(
      (
        await handler({
          resource: "/queues",
          pathParameters: null,
          queryStringParameters: { limit: "3", after: "b" },
        })
      ).body,
    );
    expect(last.queues.map((q: { name: string }) => q.name)).toEqual(["c", "d", "e"]);
    expect(last).not.toHaveProperty("next");
  });
});
