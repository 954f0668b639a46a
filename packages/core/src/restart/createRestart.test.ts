import type { Route } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { FakeLeaseStore } from "../lease/fakeLeaseStore.testkit.js";
import type { LoopEvent } from "../lease/token.js";
import { silentLogger } from "../logger.js";
import { createRestart, type RestartDeps } from "./createRestart.js";

const q1 = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
const q2 = "https://sqs.us-east-1.amazonaws.com/123456789012/payments.fifo";
const gone = "https://sqs.us-east-1.amazonaws.com/123456789012/removed";
const settings = { staleAfterMs: 60_000, startGraceMs: 20_000 };
const now = 1_000_000;

function route(queueUrl: string, minLoops: number, maxLoops: number): Route {
  return {
    queueName: queueUrl.slice(queueUrl.lastIndexOf("/") + 1),
    queueUrl,
    functionName: "record",
    batchSize: 10,
    batchWindowSec: 0,
    concurrency: 1,
    minLoops,
    maxLoops,
    scaleStep: 1,
    alarms: [],
    scaling: { mode: "alarm" },
    paused: false,
    source: "deploy",
    updatedAt: 0,
  };
}

function setup(routes: Route[], overrides: Partial<RestartDeps> = {}) {
  const leases = new FakeLeaseStore();
  const started: LoopEvent[] = [];
  let n = 0;
  const deps: RestartDeps = {
    leases,
    routes: { list: async () => routes },
    starter: { start: async (e) => void started.push(e) },
    clock: { now: () => now },
    logger: silentLogger,
    settings,
    ids: () => `id-${++n}`,
    ...overrides,
  };
  return { leases, started, deps, restart: createRestart(deps) };
}

describe("restart: stale tokens", () => {
  it("claims tokens whose heartbeat is stale, or that never heartbeat past the start grace, and starts their loops", async () => {
    const { leases, started, restart } = setup([route(q1, 0, 10)]);
    leases.put({ queueUrl: q1, token: "fresh", loopId: "L1", createdAt: 0, lastUsed: now - 59_000 });
    leases.put({ queueUrl: q1, token: "stale", loopId: "L2", createdAt: 0, lastUsed: now - 61_000 });
    leases.put({
      queueUrl: q1,
      token: "starting",
      loopId: "L3",
      createdAt: now - 19_000,
      startedAt: now - 19_000,
    });
    leases.put({
      queueUrl: q1,
      token: "never",
      loopId: "L4",
      createdAt: now - 21_000,
      startedAt: now - 21_000,
    });
    const report = await restart.run();
    expect(report.claimed.map((e) => e.token).sort()).toEqual(["never", "stale"]);
    expect(started).toEqual(report.claimed);
    const claimed = leases.get({ queueUrl: q1, token: "stale" });
    expect(claimed).toMatchObject({ lastUsed: now, startedAt: now });
    expect(claimed?.loopId).not.toBe("L2");
    expect(leases.get({ queueUrl: q1, token: "fresh" })?.loopId).toBe("L1");
  });

  it("never lets two concurrent restarts both start a loop for one token", async () => {
    const shared = setup([route(q1, 0, 100)]);
    for (let i = 0; i < 20; i++) {
      shared.leases.put({ queueUrl: q1, token: `t${i}`, loopId: `old-${i}`, createdAt: 0, lastUsed: 0 });
    }
    let n = 0;
    const other = createRestart({ ...shared.deps, ids: () => `other-${++n}` });
    const [a, b] = await Promise.all([shared.restart.run(), other.run()]);
    expect(a.claimed.length + b.claimed.length).toBe(20);
    expect(a.claimLost.length + b.claimLost.length).toBe(20);
    const startsPerToken = new Map<string, number>();
    for (const e of shared.started) startsPerToken.set(e.token, (startsPerToken.get(e.token) ?? 0) + 1);
    expect([...startsPerToken.values()].every((c) => c === 1)).toBe(true);
    expect(startsPerToken.size).toBe(20);
    // The loop that was started holds the token's current loopId.
    for (const e of shared.started) expect(shared.leases.get(e)?.loopId).toBe(e.loopId);
  });

  it("scans every page of the token table", async () => {
    const { leases, restart } = setup([route(q1, 0, 100)]);
    leases.pageSize = 3;
    for (let i = 0; i < 10; i++)
      leases.put({ queueUrl: q1, token: `t${i}`, loopId: "L", createdAt: 0, lastUsed: 0 });
    const report = await restart.run();
    expect(report.pages).toBe(4);
    expect(report.scanned).toBe(10);
    expect(report.claimed).toHaveLength(10);
  });
});

describe("restart: reconcile", () => {
  it("adds and starts loops up to minLoops", async () => {
    const { leases, started, restart } = setup([route(q1, 3, 5)]);
    leases.put({ queueUrl: q1, token: "slot-0", loopId: "L", createdAt: now, startedAt: now });
    const report = await restart.run();
    expect(report.started.map((e) => e.token)).toEqual(["slot-1", "slot-2"]);
    expect(started).toEqual(report.started);
    expect(await leases.listByQueue(q1)).toHaveLength(3);
  });

  it("deletes tokens above maxLoops", async () => {
    const { leases, restart } = setup([route(q1, 1, 2)]);
    for (let i = 0; i < 5; i++)
      leases.put({ queueUrl: q1, token: `t${i}`, loopId: "L", createdAt: now, lastUsed: now });
    const report = await restart.run();
    expect(report.deleted).toHaveLength(3);
    expect((await leases.listByQueue(q1)).map((t) => t.token).sort()).toEqual(["t0", "t1"]);
  });

  it("deletes the tokens of a queue whose route was removed, and leaves routed counts within bounds alone", async () => {
    const { leases, started, restart } = setup([route(q1, 1, 4)]);
    leases.put({ queueUrl: gone, token: "x", loopId: "L", createdAt: now, lastUsed: now });
    leases.put({ queueUrl: q1, token: "a", loopId: "L", createdAt: now, lastUsed: now });
    leases.put({ queueUrl: q1, token: "b", loopId: "L", createdAt: now, lastUsed: now });
    const report = await restart.run();
    expect(report.deleted).toEqual([{ queueUrl: gone, token: "x" }]);
    expect(await leases.listByQueue(gone)).toEqual([]);
    expect(await leases.listByQueue(q1)).toHaveLength(2);
    expect(started).toEqual([]);
  });

  it("adds each missing loop once when two restarts reconcile at the same time", async () => {
    const shared = setup([route(q1, 3, 3), route(q2, 1, 1)]);
    const other = createRestart(shared.deps);
    await Promise.all([shared.restart.run(), other.run()]);
    expect(shared.started.filter((e) => e.queueUrl === q1)).toHaveLength(3);
    expect(shared.started.filter((e) => e.queueUrl === q2)).toHaveLength(1);
    expect(await shared.leases.listByQueue(q1)).toHaveLength(3);
  });

  it("uses the desiredLoopCount hook, clamped to the route's bounds", async () => {
    const { leases, restart } = setup([route(q1, 1, 4)], { desiredLoopCount: () => 9 });
    const report = await restart.run();
    expect(report.started).toHaveLength(4);
    expect(await leases.listByQueue(q1)).toHaveLength(4);
  });

  it("deletes nothing when the routes cannot be listed", async () => {
    const { leases, restart } = setup([], {
      routes: {
        list: async () => {
          throw new Error("ThrottlingException");
        },
      },
    });
    leases.put({ queueUrl: gone, token: "x", loopId: "L", createdAt: now, lastUsed: now });
    const report = await restart.run();
    expect(report.errors.map((e) => e.step)).toEqual(["list routes"]);
    expect(await leases.listByQueue(gone)).toHaveLength(1);
  });
});
