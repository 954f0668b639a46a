import type { Route } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { FakeLeaseStore } from "../lease/fakeLeaseStore.testkit.js";
import { MemoryQueueLock } from "../lease/memoryQueueLock.testkit.js";
import { groupLeaseKey, SHARED_MEMBER_TOKEN, type SharedLoopEvent } from "../lease/sharedGroup.js";
import type { LoopEvent } from "../lease/token.js";
import { silentLogger } from "../logger.js";
import { createRestart } from "./createRestart.js";

const url = (name: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`;
const settings = { staleAfterMs: 60_000, startGraceMs: 20_000 };
const now = 1_000_000;

function route(name: string, overrides: Partial<Route> = {}): Route {
  return {
    queueName: name,
    queueUrl: url(name),
    functionName: "record",
    batchSize: 10,
    batchWindowSec: 0,
    concurrency: 1,
    minLoops: 0,
    maxLoops: 4,
    scaleStep: 1,
    alarms: [],
    scaling: { mode: "alarm" },
    paused: false,
    idle: "shared",
    source: "deploy",
    updatedAt: 0,
    ...overrides,
  };
}

function setup(routes: Route[], perLoop = 2) {
  const leases = new FakeLeaseStore();
  const started: LoopEvent[] = [];
  const shared: SharedLoopEvent[] = [];
  let n = 0;
  let list = routes;
  const restart = createRestart({
    leases,
    routes: { list: async () => list },
    starter: { start: async (e) => void started.push(e) },
    shared: { groups: leases, starter: { start: async (e) => void shared.push(e) }, perLoop },
    lock: new MemoryQueueLock(),
    clock: { now: () => now, sleep: async () => {} },
    logger: silentLogger,
    settings,
    ids: () => `id-${++n}`,
  });
  return {
    leases,
    started,
    shared,
    restart,
    setRoutes: (r: Route[]) => {
      list = r;
    },
  };
}

describe("restart: shared groups", () => {
  it("assigns the shared-quiet routes to groups and starts one shared loop per group, no dedicated loop", async () => {
    const { leases, started, shared, restart } = setup([
      route("a"),
      route("b"),
      route("c"),
      route("sleepy", { idle: "sleep" }),
      route("busy", { minLoops: 1 }),
    ]);
    const report = await restart.run();
    expect(shared.map((e) => e.group)).toEqual(["g-0", "g-1"]);
    expect(report.shared.started).toEqual(shared);
    expect(leases.get(groupLeaseKey("g-0"))?.members).toEqual([url("a"), url("b")]);
    expect(leases.get(groupLeaseKey("g-1"))?.members).toEqual([url("c")]);
    expect(leases.get({ queueUrl: url("c"), token: SHARED_MEMBER_TOKEN })?.group).toBe("g-1");
    expect(leases.get({ queueUrl: url("sleepy"), token: SHARED_MEMBER_TOKEN })).toBeUndefined();
    // Only the route with minLoops 1 gets a dedicated loop.
    expect(started.map((e) => e.queueUrl)).toEqual([url("busy")]);

    // A second run changes nothing.
    const again = await restart.run();
    expect(again.shared).toEqual({ claimed: [], started: [], joined: [], left: [], ended: [] });
    expect(again.stale).toBe(0);
  });

  it("takes a stale group over with one claim, and never claims member rows", async () => {
    const { leases, shared, restart } = setup([route("a"), route("b")]);
    await restart.run();
    const first = leases.get(groupLeaseKey("g-0"));
    expect(first?.loopId).toBe(shared[0]?.loopId);
    leases.put({ ...first!, lastUsed: now - 61_000, startedAt: now - 120_000, invocationId: "old" });

    const report = await restart.run();
    expect(report.stale).toBe(1);
    expect(report.shared.claimed).toHaveLength(1);
    const row = leases.get(groupLeaseKey("g-0"));
    expect(row?.loopId).toBe(report.shared.claimed[0]?.loopId);
    expect(row?.loopId).not.toBe(first?.loopId);
    expect(row?.invocationId).toBeUndefined();
    expect(shared.at(-1)).toEqual({ group: "g-0", loopId: row?.loopId });
  });

  it("moves only what changed when routes come and go, and ends a group left empty", async () => {
    const { leases, restart, setRoutes } = setup([route("a"), route("b"), route("c")]);
    await restart.run();
    setRoutes([route("a"), route("b"), route("d", { idle: "shared" })].filter((r) => r.queueName !== "b"));
    const report = await restart.run();
    expect(report.shared.left).toEqual([
      { queueUrl: url("b"), group: "g-0" },
      { queueUrl: url("c"), group: "g-1" },
    ]);
    expect(report.shared.joined).toEqual([{ queueUrl: url("d"), group: "g-0" }]);
    expect(report.shared.ended).toEqual(["g-1"]);
    expect(leases.get(groupLeaseKey("g-0"))?.members).toEqual([url("a"), url("d")]);
    expect(leases.get(groupLeaseKey("g-1"))).toBeUndefined();
    expect(leases.get({ queueUrl: url("b"), token: SHARED_MEMBER_TOKEN })).toBeUndefined();
  });

  it("keeps a quiet route in its group while it has dedicated loops", async () => {
    const { leases, restart } = setup([route("a")]);
    leases.put({ queueUrl: url("a"), token: "slot-0", loopId: "L", createdAt: now, lastUsed: now });
    const report = await restart.run();
    expect(report.deleted).toEqual([]);
    expect(leases.get(groupLeaseKey("g-0"))?.members).toEqual([url("a")]);
  });
});
