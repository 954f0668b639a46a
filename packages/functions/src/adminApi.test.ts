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
});
