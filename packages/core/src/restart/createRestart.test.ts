import type { Route } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { FakeLeaseStore } from "../lease/fakeLeaseStore.testkit.js";
import { MemoryQueueLock } from "../lease/memoryQueueLock.testkit.js";
import type { LoopEvent } from "../lease/token.js";
import { type Logger, silentLogger } from "../logger.js";
import { InvalidStoredRouteError } from "../routing/routeStoreErrors.js";
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
    idle: "shared",
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
    lock: new MemoryQueueLock(),
    clock: { now: () => now, sleep: async () => {} },
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
    // A claim does not refresh lastUsed: the token counts as starting until the new loop heartbeats.
    expect(claimed).toMatchObject({ lastUsed: now - 61_000, startedAt: now });
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

describe("restart: claims that a heartbeat or a failed start must not fool", () => {
  it("loses the claim when the loop heartbeat between the scan and the claim, and starts nothing", async () => {
    const { leases, started, restart } = setup([route(q1, 0, 10)]);
    leases.put({ queueUrl: q1, token: "t", loopId: "L", createdAt: 0, lastUsed: now - 61_000 });
    leases.beforeOp = (op) => {
      // The slow loop's heartbeat lands after restart read the token and before its claim.
      const row = leases.get({ queueUrl: q1, token: "t" });
      if (op === "claim" && row) row.lastUsed = now;
    };
    const report = await restart.run();
    expect(report.stale).toBe(1);
    expect(report.claimed).toEqual([]);
    expect(report.claimLost).toEqual([{ queueUrl: q1, token: "t" }]);
    expect(started).toEqual([]);
    expect(leases.get({ queueUrl: q1, token: "t" })).toMatchObject({ loopId: "L", lastUsed: now });
  });

  it("claims a token that never heartbeat only while it still has no heartbeat", async () => {
    const { leases, started, restart } = setup([route(q1, 0, 10)]);
    leases.put({ queueUrl: q1, token: "t", loopId: "L", createdAt: now - 21_000, startedAt: now - 21_000 });
    leases.beforeOp = (op) => {
      const row = leases.get({ queueUrl: q1, token: "t" });
      if (op === "claim" && row) row.lastUsed = now - 1;
    };
    const report = await restart.run();
    expect(report.claimLost).toHaveLength(1);
    expect(started).toEqual([]);
  });

  it("retries a claimed token whose start failed after the start grace, not the stale threshold", async () => {
    let at = now;
    let failStarts = true;
    const started: LoopEvent[] = [];
    const { leases, restart } = setup([route(q1, 0, 10)], {
      clock: { now: () => at, sleep: async () => {} },
      starter: {
        start: async (e) => {
          if (failStarts)
            throw Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException" });
          started.push(e);
        },
      },
    });
    leases.put({ queueUrl: q1, token: "t", loopId: "L", createdAt: 0, lastUsed: now - 61_000 });
    const first = await restart.run();
    expect(first.errors.map((e) => e.step)).toEqual(["claim"]);
    const claimed = leases.get({ queueUrl: q1, token: "t" });
    expect(claimed).toMatchObject({ lastUsed: now - 61_000, startedAt: now });
    expect(claimed?.loopId).not.toBe("L");

    failStarts = false;
    at = now + settings.startGraceMs; // not yet past the grace
    expect((await restart.run()).claimed).toEqual([]);
    at = now + settings.startGraceMs + 1; // far sooner than staleAfterMs
    const retry = await restart.run();
    expect(retry.claimed.map((e) => e.token)).toEqual(["t"]);
    expect(started).toEqual(retry.claimed);
    expect(leases.get({ queueUrl: q1, token: "t" })?.loopId).toBe(retry.claimed[0]?.loopId);
  });
});

describe("restart: at scale", () => {
  it("claims and starts stale tokens in parallel, never more at once than its concurrency", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const started: LoopEvent[] = [];
    const { leases, restart } = setup([route(q1, 0, 500)], {
      concurrency: 8,
      starter: {
        start: async (e) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight--;
          started.push(e);
        },
      },
    });
    for (let i = 0; i < 300; i++)
      leases.put({ queueUrl: q1, token: `t${i}`, loopId: "L", createdAt: 0, lastUsed: now - 61_000 - i });
    const report = await restart.run();
    expect(report.claimed).toHaveLength(300);
    expect(started).toHaveLength(300);
    expect(maxInFlight).toBe(8);
    expect(report.left).toEqual({ claims: 0, routes: 0, orphans: 0, scanIncomplete: false });
  });

  it("claims the stalest first and, when its time box is spent, leaves the rest for the next run and says so", async () => {
    let at = now;
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const logger: Logger = {
      debug() {},
      info: (message, fields = {}) => void lines.push({ level: "info", message, fields }),
      warn: (message, fields = {}) => void lines.push({ level: "warn", message, fields }),
      error: (message, fields = {}) => void lines.push({ level: "error", message, fields }),
    };
    const started: LoopEvent[] = [];
    const { leases, restart } = setup([route(q1, 0, 100)], {
      concurrency: 1,
      logger,
      clock: { now: () => at, sleep: async () => {} },
      starter: {
        start: async (e) => {
          at += 1_000; // each start takes a second of the box
          started.push(e);
        },
      },
    });
    // t0 is the least stale, t9 the stalest; a never-heartbeat token past its grace sorts by its start.
    for (let i = 0; i < 10; i++)
      leases.put({
        queueUrl: q1,
        token: `t${i}`,
        loopId: "L",
        createdAt: 0,
        lastUsed: now - 61_000 - i * 1_000,
      });
    leases.put({ queueUrl: q1, token: "never", loopId: "L", createdAt: 0, startedAt: now - 100_000 });
    // A 5 s box: claims get 70% of it (3.5 s). Three claims start; a fourth, starting at 3 s and as
    // slow as the others, would end past the claims' share, so it is left with the rest.
    const report = await restart.run({ budgetMs: 5_000 });
    expect(started.map((e) => e.token)).toEqual(["never", "t9", "t8"]);
    expect(report.left.claims).toBe(8);
    const summary = lines.filter((l) => l.message.startsWith("restart: done"));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({
      level: "warn",
      fields: { stale: 11, claimed: 3, left: { claims: 8 } },
    });

    // The next run picks up what was left.
    const next = await restart.run();
    expect(next.claimed).toHaveLength(8);
    expect(next.left.claims).toBe(0);
  });

  it("reconciles the other routes when one stored route does not parse, and deletes no orphan meanwhile", async () => {
    const corrupt = new InvalidStoredRouteError(
      [{ key: "/app/dev/routes/broken", message: "not JSON" }],
      [route(q1, 2, 4)],
    );
    const { leases, started, restart } = setup([], {
      routes: {
        list: async () => {
          throw corrupt;
        },
      },
    });
    leases.put({ queueUrl: gone, token: "x", loopId: "L", createdAt: now, lastUsed: now });
    const report = await restart.run();
    expect(report.unreadableRoutes).toEqual(["/app/dev/routes/broken"]);
    expect(report.started.map((e) => e.token)).toEqual(["slot-0", "slot-1"]);
    expect(started).toEqual(report.started);
    expect(report.deleted).toEqual([]);
    expect(await leases.listByQueue(gone)).toHaveLength(1);
  });
});

describe("restart: a time box spent while scanning", () => {
  it("stops between pages, says the scan is incomplete, and still claims what it saw", async () => {
    let at = now;
    const { leases, restart } = setup([route(q1, 0, 100)], {
      clock: { now: () => at, sleep: async () => {} },
    });
    leases.pageSize = 2;
    for (let i = 0; i < 6; i++)
      leases.put({ queueUrl: q1, token: `t${i}`, loopId: "L", createdAt: 0, lastUsed: now - 61_000 });
    const beforeOp = leases.beforeOp;
    leases.beforeOp = (op) => {
      beforeOp(op);
      if (op === "scan") at += 10_000; // the scan itself takes longer than the whole box
    };
    const report = await restart.run({ budgetMs: 5_000 });
    expect(report.pages).toBe(2);
    expect(report.left.scanIncomplete).toBe(true);
    expect(report.stale).toBe(4);
  });

  it("calls a scan that reached its last page complete, however late", async () => {
    let at = now;
    const { leases, restart } = setup([route(q1, 0, 100)], {
      clock: { now: () => at, sleep: async () => {} },
    });
    leases.put({ queueUrl: q1, token: "t", loopId: "L", createdAt: 0, lastUsed: now });
    leases.beforeOp = (op) => {
      if (op === "scan") at += 10_000;
    };
    const report = await restart.run({ budgetMs: 5_000 });
    expect(report.pages).toBe(1);
    expect(report.left.scanIncomplete).toBe(false);
  });
});
