import type { Route } from "@sqs-dispatcher/config";
import { beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../logger.js";
import { createRestart } from "../restart/createRestart.js";
import { ScaleOutcome, ScalingFailedError, scaleDown, scaleUp } from "./scaleOnAlarm.js";
import {
  account,
  advance,
  alarms,
  count,
  deps,
  events,
  leases,
  lock,
  nextId,
  notification,
  now,
  queueUrl,
  resetScaleFixtures,
  route,
  routes,
  seedTokens,
  snsEvent,
  started,
  tierAlarm,
} from "./scaleOnAlarm.testkit.js";

beforeEach(resetScaleFixtures);

describe("concurrent scaling of one queue", () => {
  const ok = (time: string, alarm = "shop-prod-orders-depth-1") =>
    notification({
      AlarmName: alarm,
      AlarmArn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:${alarm}`,
      OldStateValue: "ALARM",
      NewStateValue: "OK",
      StateChangeTime: time,
    });

  it("two tiers going ALARM → OK at once at floor + 1 end at the floor, not below", async () => {
    alarms.transition(tierAlarm("orders", 1), "OK");
    alarms.transition(tierAlarm("orders", 2), "OK");
    routes.set("orders", route({ minLoops: 0, idle: "sleep" }));
    seedTokens(2);
    const results = await Promise.all([
      // Each picks a different victim, as two random picks would: without the lock both would delete.
      scaleDown({ ...deps, random: () => 0 }, snsEvent(ok("t1", "shop-prod-orders-depth-1"))),
      scaleDown({ ...deps, random: () => 0.99 }, snsEvent(ok("t1", "shop-prod-orders-depth-2"))),
    ]);
    expect(
      results
        .flat()
        .map((r) => r.outcome)
        .sort(),
    ).toEqual([ScaleOutcome.AtBound, ScaleOutcome.Scaled]);
    expect(await count()).toBe(1);
    expect(lock.held.size).toBe(0);
  });

  it("two scale-ups at once never take the count above maxLoops", async () => {
    routes.set("orders", route({ maxLoops: 3, scaleStep: 2 }));
    seedTokens(1);
    const up = (alarm: string) =>
      notification({ AlarmName: alarm, AlarmArn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:${alarm}` });
    await Promise.all([
      scaleUp(deps, snsEvent(up("shop-prod-orders-depth-1"))),
      scaleUp(deps, snsEvent(up("shop-prod-orders-depth-2"))),
    ]);
    expect(await count()).toBe(3);
  });

  it("fails the record for a retry, and releases its transition, when the lock stays held", async () => {
    alarms.transition(tierAlarm("orders", 1), "OK");
    seedTokens(3);
    lock.held.set(queueUrl, { owner: "someone", lockedUntil: Number.MAX_SAFE_INTEGER });
    await expect(scaleDown(deps, snsEvent(ok("t9")))).rejects.toBeInstanceOf(ScalingFailedError);
    expect(await count()).toBe(3);
    expect(events.keys.size).toBe(0);
  });

  it("takes over a lock whose holder died once it expires", async () => {
    alarms.transition(tierAlarm("orders", 1), "OK");
    seedTokens(3);
    lock.held.set(queueUrl, { owner: "crashed", lockedUntil: now + 500 });
    const [result] = await scaleDown(deps, snsEvent(ok("t10")));
    expect(result?.outcome).toBe(ScaleOutcome.Scaled);
    expect(await count()).toBe(2);
  });
});

describe("restart's reconcile racing a scale function on one queue", () => {
  /**
   * Holds the first two reads of the queue's tokens until both are in, so the two changes start
   * from the same count, as two functions reading at the same moment would.
   */
  function readTogether(): void {
    const list = leases.listByQueue.bind(leases);
    const waiting: (() => void)[] = [];
    let reads = 0;
    leases.listByQueue = async (url) => {
      if (++reads <= 2) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 2) for (const go of waiting) go();
        });
      }
      return list(url);
    };
  }

  /** Restart over the same tokens and lock; its sleeps let the other function run meanwhile. */
  function restartBeside(queueRoute: Route) {
    return createRestart({
      leases,
      routes: { list: async () => [queueRoute] },
      starter: { start: async (e) => void started.push(e) },
      lock,
      clock: {
        now: () => now,
        sleep: async (ms) => {
          advance(ms);
          await new Promise((resolve) => setImmediate(resolve));
        },
      },
      logger: silentLogger,
      settings: { staleAfterMs: 600_000, startGraceMs: 600_000 },
      ids: () => nextId("r"),
    });
  }

  const seedLive = (n: number) => {
    for (let i = 0; i < n; i++) {
      leases.put({ queueUrl, token: `seed-${i}`, loopId: `l-${i}`, createdAt: now, lastUsed: now });
    }
  };

  it("a reconcile adding to minLoops and a scale-up at maxLoops − 1 end at maxLoops, not above", async () => {
    const orders = route({ minLoops: 4, maxLoops: 4, scaleStep: 2 });
    routes.set("orders", orders);
    seedLive(3);
    readTogether();
    const [report] = await Promise.all([
      restartBeside(orders).run(),
      scaleUp(deps, snsEvent(notification())),
    ]);
    expect(report.errors).toEqual([]);
    expect(await count()).toBe(4);
    expect(started).toHaveLength(1);
    expect(lock.held.size).toBe(0);
  });

  it("a reconcile deleting to maxLoops and a scale-down at floor + 1 end at the floor, not below", async () => {
    alarms.transition(tierAlarm("orders", 1), "OK");
    const orders = route({ minLoops: 2, maxLoops: 2 });
    routes.set("orders", orders);
    seedLive(3);
    readTogether();
    const ok = notification({ OldStateValue: "ALARM", NewStateValue: "OK" });
    // Scale-down picks the first token, reconcile the highest id: without the lock both would delete.
    const [report] = await Promise.all([
      restartBeside(orders).run(),
      scaleDown({ ...deps, random: () => 0 }, snsEvent(ok)),
    ]);
    expect(report.errors).toEqual([]);
    expect(await count()).toBe(2);
    expect(lock.held.size).toBe(0);
  });

  it("reconcile leaves a route whose lock stays held for the next run, changing nothing", async () => {
    const orders = route({ minLoops: 4, maxLoops: 4 });
    seedLive(3);
    lock.held.set(queueUrl, { owner: "scale-up", lockedUntil: Number.MAX_SAFE_INTEGER });
    const report = await restartBeside(orders).run({ budgetMs: 30_000 });
    expect(report.errors).toEqual([
      expect.objectContaining({
        step: "reconcile",
        queueUrl,
        message: expect.stringMatching(/holds its lock/),
      }),
    ]);
    expect(await count()).toBe(3);
  });
});
