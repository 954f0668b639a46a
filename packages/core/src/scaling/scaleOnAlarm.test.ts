import type { Route } from "@sqs-dispatcher/config";
import { routeSchema } from "@sqs-dispatcher/config";
import { beforeEach, describe, expect, it } from "vitest";
import { FakeLeaseStore } from "../lease/fakeLeaseStore.testkit.js";
import { MemoryQueueLock } from "../lease/memoryQueueLock.testkit.js";
import type { LoopEvent } from "../lease/token.js";
import { silentLogger } from "../logger.js";
import { createRestart } from "../restart/createRestart.js";
import type { AlarmDirectory, DescribedAlarm, ScalingEventLog } from "./ports.js";
import {
  MAX_RECORDS_PER_EVENT,
  type ScaleDeps,
  ScaleOutcome,
  ScalingFailedError,
  scaleDown,
  scaleUp,
} from "./scaleOnAlarm.js";

const account = "123456789012";
const queueUrl = `https://sqs.us-east-1.amazonaws.com/${account}/orders`;

function notification(
  overrides: Record<string, unknown> = {},
  queueName = "orders",
): Record<string, unknown> {
  return {
    AlarmName: "shop-prod-orders-depth-1",
    AlarmDescription: null,
    AWSAccountId: account,
    AlarmConfigurationUpdatedTimestamp: "2026-11-26T15:00:00.000+0000",
    NewStateValue: "ALARM",
    NewStateReason: "Threshold Crossed",
    StateChangeTime: "2026-11-26T15:04:05.123+0000",
    Region: "US East (N. Virginia)",
    AlarmArn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:shop-prod-orders-depth-1`,
    OldStateValue: "OK",
    OKActions: [],
    AlarmActions: [],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: "ApproximateNumberOfMessagesVisible",
      Namespace: "AWS/SQS",
      StatisticType: "Statistic",
      Statistic: "AVERAGE",
      Unit: null,
      Dimensions: [{ value: queueName, name: "QueueName" }],
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 100,
      TreatMissingData: "missing",
      EvaluateLowSampleCountPercentile: "",
    },
    ...overrides,
  };
}

function snsEvent(...messages: (Record<string, unknown> | string)[]) {
  return {
    Records: messages.map((m, i) => ({
      EventSource: "aws:sns",
      EventVersion: "1.0",
      EventSubscriptionArn: "arn:aws:sns:us-east-1:123456789012:scale-up:abc",
      Sns: {
        Type: "Notification",
        MessageId: `m-${i}`,
        TopicArn: "arn:aws:sns:us-east-1:123456789012:scale-up",
        Subject: null,
        Message: typeof m === "string" ? m : JSON.stringify(m),
        Timestamp: "2026-11-26T15:04:05.200Z",
      },
    })),
  };
}

class MemoryEventLog implements ScalingEventLog {
  readonly keys = new Set<string>();
  async claim(key: string): Promise<boolean> {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }
  async release(key: string): Promise<void> {
    this.keys.delete(key);
  }
}

/**
 * CloudWatch's alarms in memory: what DescribeAlarms would answer. Each `transition` is a new
 * state change with its own time, as CloudWatch records one.
 */
class MemoryAlarms implements AlarmDirectory {
  readonly alarms = new Map<string, DescribedAlarm>();
  private clock = 0;
  lookups = 0;
  transition(name: string, state: string, queueName = name.replace(/^shop-prod-|-depth-\d+$/g, "")): void {
    this.alarms.set(name, {
      name,
      arn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:${name}`,
      state,
      namespace: "AWS/SQS",
      dimensions: [{ name: "QueueName", value: queueName }],
      transitionedAt: ++this.clock * 60_000,
    });
  }
  async describe(name: string): Promise<DescribedAlarm | undefined> {
    this.lookups++;
    return this.alarms.get(name);
  }
}

const scaleUpTopicArn = "arn:aws:sns:us-east-1:123456789012:scale-up";
const tierAlarm = (queue: string, tier: number) => `shop-prod-${queue}-depth-${tier}`;

let leases: FakeLeaseStore;
let lock: MemoryQueueLock;
let now: number;
let started: LoopEvent[];
let routes: Map<string, Route>;
let events: MemoryEventLog;
let alarms: MemoryAlarms;
let deps: ScaleDeps;
let idCounter = 0;

function route(overrides: Partial<Route> = {}): Route {
  return routeSchema.parse({
    queueName: "orders",
    queueUrl,
    functionName: "record",
    minLoops: 1,
    maxLoops: 4,
    scaleStep: 2,
    alarms: [{ threshold: 100 }, { threshold: 500 }],
    ...overrides,
  });
}

function seedTokens(n: number): void {
  for (let i = 0; i < n; i++) leases.put({ queueUrl, token: `seed-${i}`, loopId: `l-${i}`, createdAt: 0 });
}

const count = async () => (await leases.listByQueue(queueUrl)).length;

beforeEach(() => {
  leases = new FakeLeaseStore();
  started = [];
  routes = new Map([["orders", route()]]);
  events = new MemoryEventLog();
  lock = new MemoryQueueLock();
  alarms = new MemoryAlarms();
  for (const queue of ["orders", "audit"]) {
    alarms.transition(tierAlarm(queue, 1), "ALARM");
    alarms.transition(tierAlarm(queue, 2), "ALARM");
  }
  now = 1_000;
  deps = {
    routes: { get: async (name) => routes.get(name), list: async () => [...routes.values()] },
    leases,
    starter: { start: async (e) => void started.push(e) },
    events,
    lock,
    alarmNameOf: (queue, tier) => tierAlarm(queue, tier),
    alarms,
    topicArn: scaleUpTopicArn,
    clock: {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    },
    logger: silentLogger,
    region: "us-east-1",
    random: () => 0,
    ids: () => `id-${++idCounter}`,
  };
});

describe("scaleUp", () => {
  it("adds scaleStep loops and starts each of them", async () => {
    seedTokens(1);
    const [result] = await scaleUp(deps, snsEvent(notification()));
    expect(result).toMatchObject({ outcome: ScaleOutcome.Scaled, changed: 2, queueUrl });
    expect(await count()).toBe(3);
    expect(started).toHaveLength(2);
    for (const e of started) expect(leases.get(e)?.loopId).toBe(e.loopId);
  });

  it("never goes beyond maxLoops", async () => {
    seedTokens(3);
    await scaleUp(deps, snsEvent(notification()));
    expect(await count()).toBe(4);
    alarms.transition(tierAlarm("orders", 1), "OK");
    alarms.transition(tierAlarm("orders", 1), "ALARM");
    const [result] = await scaleUp(
      deps,
      snsEvent(notification({ StateChangeTime: "2026-11-26T15:09:00.000+0000" })),
    );
    expect(result?.outcome).toBe(ScaleOutcome.AtBound);
    expect(await count()).toBe(4);
  });

  it("scales once when the same transition is delivered twice", async () => {
    seedTokens(1);
    await scaleUp(deps, snsEvent(notification()));
    const [again] = await scaleUp(deps, snsEvent(notification()));
    expect(again?.outcome).toBe(ScaleOutcome.Duplicate);
    expect(await count()).toBe(3);
  });

  it("handles every record of the event", async () => {
    routes.set(
      "audit",
      route({ queueName: "audit", queueUrl: queueUrl.replace("orders", "audit"), scaleStep: 1 }),
    );
    const results = await scaleUp(
      deps,
      snsEvent(
        notification(),
        "not json",
        notification(
          {
            AlarmName: "shop-prod-audit-depth-1",
            AlarmArn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:shop-prod-audit-depth-1`,
          },
          "audit",
        ),
      ),
    );
    expect(results.map((r) => r.outcome)).toEqual([
      ScaleOutcome.Scaled,
      ScaleOutcome.Ignored,
      ScaleOutcome.Scaled,
    ]);
    expect(await count()).toBe(2);
    expect((await leases.listByQueue(queueUrl.replace("orders", "audit"))).length).toBe(1);
  });

  it.each([
    ["an unknown queue", notification({}, "nope")],
    [
      "another account",
      notification({
        AWSAccountId: "999999999999",
        AlarmArn: "arn:aws:cloudwatch:us-east-1:999999999999:alarm:x",
      }),
    ],
    ["another region", notification({ AlarmArn: `arn:aws:cloudwatch:eu-west-1:${account}:alarm:x` })],
    ["an INSUFFICIENT_DATA transition", notification({ NewStateValue: "INSUFFICIENT_DATA" })],
    ["a notification without a QueueName dimension", notification({ Trigger: { Dimensions: [] } })],
    ["a notification missing its state", notification({ NewStateValue: undefined })],
    [
      "an AlarmArn whose account disagrees",
      notification({ AlarmArn: "arn:aws:cloudwatch:us-east-1:999999999999:alarm:x" }),
    ],
  ])("ignores %s without changing anything", async (_name, message) => {
    seedTokens(1);
    const [result] = await scaleUp(deps, snsEvent(message));
    expect(result?.outcome).toBe(ScaleOutcome.Ignored);
    expect(await count()).toBe(1);
    expect(events.keys.size).toBe(0);
  });

  it("ignores a route in depth mode, and a paused route", async () => {
    routes.set("orders", route({ scaling: { mode: "depth", targetPerLoop: 10, scaleInCooldownSec: 5 } }));
    expect((await scaleUp(deps, snsEvent(notification())))[0]?.outcome).toBe(ScaleOutcome.Ignored);
    routes.set("orders", route({ paused: true }));
    expect((await scaleUp(deps, snsEvent(notification())))[0]?.outcome).toBe(ScaleOutcome.Ignored);
    expect(await count()).toBe(0);
  });

  it("ignores an event that is not an SNS event", async () => {
    expect((await scaleUp(deps, { hello: "world" }))[0]?.outcome).toBe(ScaleOutcome.Ignored);
  });

  it("takes the queue's region from the function when its URL names none (local endpoint)", async () => {
    routes.set("orders", route({ queueUrl: `http://127.0.0.1:4566/${account}/orders` }));
    const [ok] = await scaleUp(deps, snsEvent(notification()));
    expect(ok?.outcome).toBe(ScaleOutcome.Scaled);
    alarms.transition(tierAlarm("orders", 1), "ALARM");
    const [other] = await scaleUp(
      { ...deps, region: "eu-west-1" },
      snsEvent(notification({ StateChangeTime: "t2" })),
    );
    expect(other?.outcome).toBe(ScaleOutcome.Ignored);
  });

  it("releases the transition and throws when scaling fails, so a retry can scale", async () => {
    leases.beforeOp = (op) => {
      if (op === "create") throw Object.assign(new Error("slow down"), { name: "ThrottlingException" });
    };
    await expect(scaleUp(deps, snsEvent(notification()))).rejects.toBeInstanceOf(ScalingFailedError);
    expect(events.keys.size).toBe(0);
    leases.beforeOp = () => {};
    const [retried] = await scaleUp(deps, snsEvent(notification()));
    expect(retried?.outcome).toBe(ScaleOutcome.Scaled);
  });
});

describe("scaleUp within the registry's loop limits", () => {
  it("adds loops only up to the route clamped to limits.maxLoopsPerRoute, not its stored maxLoops", async () => {
    routes.set("orders", route({ maxLoops: 5_000, scaleStep: 5_000 }));
    seedTokens(1);
    const [result] = await scaleUp(
      { ...deps, limits: { maxLoopsPerRoute: 3, maxLoopsTotal: 200 } },
      snsEvent(notification()),
    );
    expect(result).toMatchObject({ outcome: ScaleOutcome.Scaled, changed: 2 });
    expect(await count()).toBe(3);
  });
});

describe("scaleDown", () => {
  const ok = (overrides: Record<string, unknown> = {}) =>
    notification({ OldStateValue: "ALARM", NewStateValue: "OK", ...overrides });
  beforeEach(() => {
    alarms.transition(tierAlarm("orders", 1), "OK");
  });

  it("removes one token on ALARM → OK", async () => {
    seedTokens(3);
    const [result] = await scaleDown(deps, snsEvent(ok()));
    expect(result).toMatchObject({ outcome: ScaleOutcome.Scaled, changed: 1 });
    expect(await count()).toBe(2);
  });

  it("picks the token at random", async () => {
    seedTokens(3);
    await scaleDown({ ...deps, random: () => 0.99 }, snsEvent(ok()));
    expect(leases.get({ queueUrl, token: "seed-2" })).toBeUndefined();
    expect(leases.get({ queueUrl, token: "seed-0" })).toBeDefined();
  });

  it("never goes below max(1, minLoops) on a route without a shared loop", async () => {
    routes.set("orders", route({ minLoops: 0, idle: "sleep" }));
    seedTokens(1);
    expect((await scaleDown(deps, snsEvent(ok())))[0]?.outcome).toBe(ScaleOutcome.AtBound);
    expect(await count()).toBe(1);
    routes.set("orders", route({ minLoops: 2 }));
    seedTokens(2);
    alarms.transition(tierAlarm("orders", 1), "ALARM");
    alarms.transition(tierAlarm("orders", 1), "OK");
    await scaleDown(deps, snsEvent(ok({ StateChangeTime: "t2" })));
    expect(await count()).toBe(2);
  });

  it("takes a shared-quiet route's last dedicated loop away (its shared loop polls on), never the member row", async () => {
    routes.set("orders", route({ minLoops: 0, idle: "shared" }));
    seedTokens(1);
    await leases.addMember(queueUrl, "g-0", 0);
    expect((await scaleDown(deps, snsEvent(ok())))[0]?.outcome).toBe(ScaleOutcome.Scaled);
    expect((await leases.listByQueue(queueUrl)).map((t) => t.token)).toEqual(["shared"]);
  });

  it.each([
    ["INSUFFICIENT_DATA → OK", { OldStateValue: "INSUFFICIENT_DATA" }],
    ["OK → ALARM", { OldStateValue: "OK", NewStateValue: "ALARM" }],
    ["ALARM → INSUFFICIENT_DATA", { NewStateValue: "INSUFFICIENT_DATA" }],
  ])("changes nothing on %s", async (_name, overrides) => {
    seedTokens(3);
    expect((await scaleDown(deps, snsEvent(ok(overrides))))[0]?.outcome).toBe(ScaleOutcome.Ignored);
    expect(await count()).toBe(3);
  });

  it("scales down once when the same transition is delivered twice", async () => {
    seedTokens(3);
    await scaleDown(deps, snsEvent(ok(), ok()));
    expect(await count()).toBe(2);
  });
});

describe("forged notifications", () => {
  const ofAlarm = (name: string, overrides: Record<string, unknown> = {}, queueName = "orders") =>
    notification(
      { AlarmName: name, AlarmArn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:${name}`, ...overrides },
      queueName,
    );

  it.each([
    [
      "an alarm of another app",
      ofAlarm("shop-test-orders-depth-1"),
      "forged: alarm 'shop-test-orders-depth-1' is not a tier alarm of queue 'orders' in this stage (shop-prod-orders-depth-1, shop-prod-orders-depth-2)",
    ],
    [
      // Stage "prod-eu" next to "prod": its alarm of queue "orders" shares this stage's prefix.
      "an alarm of a stage whose name starts with this one's",
      ofAlarm("shop-prod-eu-orders-depth-1"),
      "forged: alarm 'shop-prod-eu-orders-depth-1' is not a tier alarm of queue 'orders' in this stage (shop-prod-orders-depth-1, shop-prod-orders-depth-2)",
    ],
    [
      "a prefixed alarm of a tier the route does not have",
      ofAlarm("shop-prod-orders-depth-3"),
      expect.stringMatching(
        /^forged: alarm 'shop-prod-orders-depth-3' is not a tier alarm of queue 'orders'/,
      ),
    ],
    [
      "an AlarmArn naming another alarm than AlarmName",
      notification({ AlarmArn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:elsewhere` }),
      `forged: AlarmArn 'arn:aws:cloudwatch:us-east-1:${account}:alarm:elsewhere' does not name alarm 'shop-prod-orders-depth-1'`,
    ],
  ])("ignores %s and changes no loop count", async (_name, forged, reason) => {
    seedTokens(1);
    const [result] = await scaleUp(deps, snsEvent(forged));
    expect(result).toMatchObject({ outcome: ScaleOutcome.Ignored, reason, changed: 0 });
    expect(await count()).toBe(1);
    expect(started).toHaveLength(0);
    expect(events.keys.size).toBe(0);
  });

  it("ignores an ALARM for an alarm that CloudWatch has in another state", async () => {
    seedTokens(1);
    alarms.transition(tierAlarm("orders", 1), "OK");
    const [result] = await scaleUp(deps, snsEvent(notification()));
    expect(result).toMatchObject({
      outcome: ScaleOutcome.Ignored,
      reason: "forged: alarm 'shop-prod-orders-depth-1' is in OK, not ALARM",
    });
    expect(await count()).toBe(1);
  });

  it("ignores an OK for an alarm that CloudWatch still has in ALARM (loops stay while it never notifies again)", async () => {
    seedTokens(3);
    const [result] = await scaleDown(
      deps,
      snsEvent(notification({ OldStateValue: "ALARM", NewStateValue: "OK" })),
    );
    expect(result?.reason).toBe("forged: alarm 'shop-prod-orders-depth-1' is in ALARM, not OK");
    expect(await count()).toBe(3);
  });

  it("ignores a well-named alarm that does not exist", async () => {
    alarms.alarms.delete(tierAlarm("orders", 2));
    const [result] = await scaleUp(deps, snsEvent(ofAlarm(tierAlarm("orders", 2))));
    expect(result?.reason).toBe("forged: alarm 'shop-prod-orders-depth-2' does not exist");
    expect(await count()).toBe(0);
  });

  it("ignores an alarm that watches another queue than the notification names", async () => {
    routes.set("audit", route({ queueName: "audit", queueUrl: queueUrl.replace("orders", "audit") }));
    // The audit tier alarm really is in ALARM, but watches "orders".
    alarms.transition(tierAlarm("audit", 1), "ALARM", "orders");
    const [result] = await scaleUp(deps, snsEvent(ofAlarm(tierAlarm("audit", 1), {}, "audit")));
    expect(result?.reason).toBe(
      "forged: alarm 'shop-prod-audit-depth-1' does not watch queue 'audit' (it watches AWS/SQS orders)",
    );
  });

  it("scales a replayed real transition once, whatever StateChangeTime the replays claim", async () => {
    seedTokens(1);
    const replays = Array.from({ length: MAX_RECORDS_PER_EVENT }, (_, i) =>
      notification({ StateChangeTime: `2026-11-26T15:0${i}:00.000+0000` }),
    );
    const results = await scaleUp(deps, snsEvent(...replays));
    expect(results.filter((r) => r.outcome === ScaleOutcome.Scaled)).toHaveLength(1);
    expect(await count()).toBe(3);
  });

  it(`ignores an event of more than ${MAX_RECORDS_PER_EVENT} records whole, without looking any up`, async () => {
    seedTokens(1);
    const many = Array.from({ length: 1_000 }, (_, i) =>
      notification({ StateChangeTime: `2026-11-26T15:04:05.${String(i).padStart(3, "0")}+0000` }),
    );
    const results = await scaleUp(deps, snsEvent(...many));
    expect(results).toEqual([
      {
        outcome: ScaleOutcome.Ignored,
        reason: `forged: 1000 records in one event (SNS delivers one; at most ${MAX_RECORDS_PER_EVENT} are read)`,
        changed: 0,
      },
    ]);
    expect(alarms.lookups).toBe(0);
    expect(await count()).toBe(1);
  });

  it("ignores a record delivered from another topic (a crafted event invoked directly)", async () => {
    const event = snsEvent(notification());
    for (const r of event.Records) r.Sns.TopicArn = "arn:aws:sns:us-east-1:999999999999:attacker";
    const [result] = await scaleUp(deps, event);
    expect(result).toMatchObject({
      outcome: ScaleOutcome.Ignored,
      reason:
        "forged: delivered from topic 'arn:aws:sns:us-east-1:999999999999:attacker', not this stage's scale-up topic",
    });
    expect(await count()).toBe(0);
  });
});

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
          now += ms;
          await new Promise((resolve) => setImmediate(resolve));
        },
      },
      logger: silentLogger,
      settings: { staleAfterMs: 600_000, startGraceMs: 600_000 },
      ids: () => `r-${++idCounter}`,
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
