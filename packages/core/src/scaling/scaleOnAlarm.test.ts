import { beforeEach, describe, expect, it } from "vitest";
import { ScaleOutcome, ScalingFailedError, scaleDown, scaleUp } from "./scaleOnAlarm.js";
import {
  account,
  alarms,
  count,
  deps,
  events,
  leases,
  notification,
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
