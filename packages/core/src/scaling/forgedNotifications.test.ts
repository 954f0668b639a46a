import { beforeEach, describe, expect, it } from "vitest";
import { MAX_RECORDS_PER_EVENT, ScaleOutcome, scaleDown, scaleUp } from "./scaleOnAlarm.js";
import {
  account,
  alarms,
  count,
  deps,
  events,
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
