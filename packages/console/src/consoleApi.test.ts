import { parseRoute } from "@sqs-dispatcher/config";
import type { MetricQuery, MetricReader, StatusDeps, TokenRecord } from "@sqs-dispatcher/core";
import { describe, expect, it } from "vitest";
import { readMetrics, readState } from "./consoleApi.js";
import type { ConsoleDeps } from "./consoleDeps.js";
import { LoopHistory } from "./loopHistory.js";

const now = 1_000_000;

function depsWith(metrics: MetricReader): ConsoleDeps {
  return {
    stage: "prod",
    target: "t",
    cliFlags: "--stage prod",
    periodSec: 60,
    metrics,
    status: { clock: { now: () => now } } as ConsoleDeps["status"],
  } as ConsoleDeps;
}

describe("readMetrics", () => {
  it("reads every queue's series in one call and turns per-period sums into rates per second", async () => {
    const asked: MetricQuery[][] = [];
    const reader: MetricReader = {
      async read(queries) {
        asked.push([...queries]);
        return new Map([
          ["succeeded_1", { timestamps: [now - 60_000], values: [600] }],
          ["visible_1", { timestamps: [now - 60_000], values: [42] }],
          ["p99_0", { timestamps: [now - 60_000], values: [250] }],
        ]);
      },
    };
    const history = new LoopHistory(60 * 60_000);
    history.record("b", now - 5_000, 3);
    history.record("b", now - 20 * 60_000, 9); // outside the 15 minutes
    const out = await readMetrics(
      depsWith(reader),
      history,
      [
        { name: "a", dlq: null },
        { name: "b", dlq: { name: "b-dlq" } },
      ],
      15,
    );
    expect(asked).toHaveLength(1);
    const ids = asked[0]?.map((q) => q.id) ?? [];
    expect(ids.filter((id) => id.endsWith("_0"))).not.toContain("dlq_0");
    expect(ids).toContain("dlq_1");
    expect(asked[0]?.find((q) => q.id === "dlq_1")?.dimensions).toEqual([
      { name: "QueueName", value: "b-dlq" },
    ]);
    expect(asked[0]?.find((q) => q.id === "succeeded_1")?.dimensions).toEqual([
      { name: "Stage", value: "prod" },
      { name: "Queue", value: "b" },
    ]);
    expect(out.from).toBe(now - 15 * 60_000);
    expect(out.queues["b"]?.["succeeded"]).toEqual({ t: [now - 60_000], v: [10] });
    expect(out.queues["b"]?.["visible"]).toEqual({ t: [now - 60_000], v: [42] });
    expect(out.queues["a"]?.["p99"]).toEqual({ t: [now - 60_000], v: [250] });
    expect(out.queues["b"]?.["loops"]).toEqual({ t: [now - 5_000], v: [3] });
  });
});

describe("readState", () => {
  const base = "http://127.0.0.1:4566/000000000000";
  const urlOf = (name: string) => `${base}/${name}`;
  const quiet = (name: string) =>
    parseRoute({ queueName: name, queueUrl: urlOf(name), functionName: "record", minLoops: 0, maxLoops: 2 });

  it("shows per queue its dedicated loops, the shared loop and group serving it, and a clamp", async () => {
    const routes = [
      quiet("invoices"),
      quiet("refunds"),
      parseRoute({ queueName: "orders", queueUrl: urlOf("orders"), functionName: "record", maxLoops: 80 }),
    ];
    const tokens: TokenRecord[] = [
      // invoices: polled by group g-0's shared loop, and one dedicated loop of a burst.
      { queueUrl: urlOf("invoices"), token: "shared", loopId: "", createdAt: 0, group: "g-0" },
      {
        queueUrl: urlOf("invoices"),
        token: "t1",
        loopId: "l-inv",
        createdAt: 0,
        lastUsed: now,
        startedAt: 0,
      },
      // refunds: the same group's member, no dedicated loop.
      { queueUrl: urlOf("refunds"), token: "shared", loopId: "", createdAt: 0, group: "g-0" },
      {
        queueUrl: "shared-group:g-0",
        token: "lease",
        loopId: "l-g0",
        createdAt: 0,
        startedAt: now - 10_000,
        lastUsed: now - 2_000,
        members: [urlOf("invoices"), urlOf("refunds")],
      },
      { queueUrl: urlOf("orders"), token: "t1", loopId: "l-ord", createdAt: 0, lastUsed: now, startedAt: 0 },
    ];
    const status: StatusDeps = {
      routes: { get: async (q) => routes.find((r) => r.queueName === q), list: async () => routes },
      leases: { listByQueue: async (url) => tokens.filter((t) => t.queueUrl === url) },
      queues: {
        listQueueUrls: async () => routes.map((r) => r.queueUrl),
        queueUrl: async (name) => urlOf(name),
        attributes: async (url) => ({
          arn: `arn:aws:sqs:us-east-1:000000000000:${url}`,
          visible: 0,
          inFlight: 0,
          delayed: 0,
        }),
      },
      alarms: { queueAlarms: async () => [] },
      clock: { now: () => now },
      logger: { warn() {} },
      limits: { maxLoopsPerRoute: 50, maxLoopsTotal: 1000 },
    };
    const state = await readState(
      { ...depsWith({ read: async () => new Map() }), status },
      new LoopHistory(60_000),
    );
    const byName = new Map(state.queues.map((q) => [q.name, q]));
    expect(byName.get("invoices")).toMatchObject({
      loops: 1,
      shared: { group: "g-0", members: 2, loop: { loopId: "l-g0", heartbeatAgeMs: 2_000 } },
      clamped: null,
      idle: "shared",
    });
    expect(byName.get("refunds")).toMatchObject({ loops: 0, shared: { group: "g-0", members: 2 } });
    expect(byName.get("orders")).toMatchObject({ loops: 1, shared: null });
    expect(byName.get("orders")?.clamped).toMatch(/maxLoops 80 > 50/);
  });
});
