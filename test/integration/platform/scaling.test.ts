import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { PublishCommand } from "@aws-sdk/client-sns";
import { PlatformFunction } from "@sqs-dispatcher/config";
import { ALARM_TIME_SCALE_ENV } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handledBy, ignoredReasons, setAlarmState } from "../support/scalingProbes.js";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { holdsFor, waitFor } from "../support/waitFor.js";

// These tests drive the alarms with SetAlarmState alone: slow the evaluator down so much (one
// metric minute = 10 minutes) that it never takes a forced state back while a test looks.
const previousScale = process.env[ALARM_TIME_SCALE_ENV];
process.env[ALARM_TIME_SCALE_ENV] = "0.1";

const registry = testRegistry({
  routes: [
    {
      queue: { name: "scale-a", visibilityTimeoutSec: 5 },
      function: "noop",
      minLoops: 1,
      maxLoops: 6,
      scaleStep: 2,
      alarms: [{ threshold: 50 }, { threshold: 500 }],
    },
    {
      queue: { name: "scale-b", visibilityTimeoutSec: 5 },
      function: "noop",
      minLoops: 2,
      maxLoops: 3,
      scaleStep: 3,
      alarms: [{ threshold: 10 }],
    },
  ],
});

let platform: TestPlatform;
const alarmOf = (queue: string, tier: number) => `itest-local-${queue}-depth-${tier}`;

beforeAll(async () => {
  platform = await startTestPlatform(registry);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (previousScale === undefined) delete process.env[ALARM_TIME_SCALE_ENV];
  else process.env[ALARM_TIME_SCALE_ENV] = previousScale;
});

const loops = async (queue: string) => (await platform.tokens(platform.queueUrl(queue))).length;

const up = PlatformFunction.ScaleUp;
const down = PlatformFunction.ScaleDown;
let upCalls = 0;
let downCalls = 0;

describe("alarm scaling on the local platform", () => {
  it("deploys one alarm per route tier, wired to the scale-up and scale-down topics", async () => {
    const out = await platform.deployment.clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: "itest-local-" }),
    );
    const alarms = out.MetricAlarms ?? [];
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      [alarmOf("scale-a", 1), alarmOf("scale-a", 2), alarmOf("scale-b", 1)].sort(),
    );
    const tier2 = alarms.find((a) => a.AlarmName === alarmOf("scale-a", 2));
    expect(tier2).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: "scale-a" }],
      Threshold: 500,
      AlarmActions: [platform.deployment.scaling.scaleUpTopicArn],
      OKActions: [platform.deployment.scaling.scaleDownTopicArn],
    });
    await waitFor(async () => (await loops("scale-a")) === 1 && (await loops("scale-b")) === 2, {
      timeoutMs: 20_000,
      description: "minLoops after the first reconcile",
    });
  });

  it("changes nothing on INSUFFICIENT_DATA → OK", async () => {
    await setAlarmState(platform, alarmOf("scale-a", 1), "OK");
    await handledBy(platform, down, ++downCalls);
    expect(await loops("scale-a")).toBe(1);
  });

  it("adds scaleStep loops on ALARM, within maxLoops, and removes one on OK", async () => {
    await setAlarmState(platform, alarmOf("scale-a", 1), "ALARM");
    await waitFor(async () => (await loops("scale-a")) === 3, {
      timeoutMs: 20_000,
      description: "1 + scaleStep loops",
    });
    await handledBy(platform, up, ++upCalls);

    await setAlarmState(platform, alarmOf("scale-a", 2), "ALARM");
    await waitFor(async () => (await loops("scale-a")) === 5, {
      timeoutMs: 20_000,
      description: "the second tier's step",
    });
    await handledBy(platform, up, ++upCalls);

    // scale-b: 2 loops, maxLoops 3, scaleStep 3 → only one more.
    await setAlarmState(platform, alarmOf("scale-b", 1), "ALARM");
    await handledBy(platform, up, ++upCalls);
    expect(await loops("scale-b")).toBe(3);

    await setAlarmState(platform, alarmOf("scale-a", 2), "OK");
    await waitFor(async () => (await loops("scale-a")) === 4, {
      timeoutMs: 20_000,
      description: "one loop fewer",
    });
    await handledBy(platform, down, ++downCalls);
  });

  it("never goes below max(1, minLoops) on OK", async () => {
    await setAlarmState(platform, alarmOf("scale-b", 1), "OK");
    await handledBy(platform, down, ++downCalls);
    await waitFor(async () => (await loops("scale-b")) === 2, {
      timeoutMs: 10_000,
      description: "scale-b back to 2",
    });
    // Another ALARM → OK at minLoops (2): delivered as CloudWatch would, straight to the topic.
    const { accountId, region } = platform.cloud;
    await platform.deployment.clients.sns.send(
      new PublishCommand({
        TopicArn: platform.deployment.scaling.scaleDownTopicArn,
        Message: JSON.stringify({
          AlarmName: alarmOf("scale-b", 1),
          AWSAccountId: accountId,
          NewStateValue: "OK",
          OldStateValue: "ALARM",
          StateChangeTime: "2030-01-01T00:00:01.000+0000",
          AlarmArn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${alarmOf("scale-b", 1)}`,
          Trigger: { Dimensions: [{ value: "scale-b", name: "QueueName" }] },
        }),
      }),
    );
    await handledBy(platform, down, ++downCalls);
    expect(await loops("scale-b")).toBe(2);
  });

  it("scales a transition once however often its notification is delivered, and ignores foreign or malformed ones", async () => {
    const before = await loops("scale-a"); // 4: one OK takes it to 3, one ALARM step to 5 of maxLoops 6
    const sns = platform.deployment.clients.sns;
    const { accountId, region } = platform.cloud;
    const notification = (overrides: Record<string, unknown> = {}, queueName = "scale-a") =>
      JSON.stringify({
        AlarmName: alarmOf("scale-a", 1),
        AWSAccountId: accountId,
        NewStateValue: "ALARM",
        OldStateValue: "OK",
        NewStateReason: "replayed",
        StateChangeTime: "2030-01-01T00:00:00.000+0000",
        Region: "US East (N. Virginia)",
        AlarmArn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${alarmOf("scale-a", 1)}`,
        Trigger: {
          MetricName: "ApproximateNumberOfMessagesVisible",
          Namespace: "AWS/SQS",
          Dimensions: [{ value: queueName, name: "QueueName" }],
        },
        ...overrides,
      });
    const publish = (message: string) =>
      sns.send(
        new PublishCommand({ TopicArn: platform.deployment.scaling.scaleUpTopicArn, Message: message }),
      );

    // Foreign and malformed first: none may change anything, and each is logged with why.
    const logsBefore = platform.logs.length;
    await publish(notification({}, "no-such-queue"));
    await publish(
      notification({
        AWSAccountId: "111122223333",
        AlarmArn: `arn:aws:cloudwatch:${region}:111122223333:alarm:${alarmOf("scale-a", 1)}`,
      }),
    );
    await publish(
      notification({ AlarmArn: `arn:aws:cloudwatch:eu-west-3:${accountId}:alarm:${alarmOf("scale-a", 1)}` }),
    );
    await publish("{ this is not json");
    await publish(JSON.stringify({ AlarmName: "half a notification" }));
    upCalls += 5;
    await handledBy(platform, up, upCalls);
    expect(await loops("scale-a")).toBe(before);
    const reasons = await waitFor(
      () => {
        const found = ignoredReasons(platform, up, logsBefore);
        return found.length >= 5 && found;
      },
      { timeoutMs: 10_000, description: "the scale-up function to log the five ignored records" },
    );
    expect(reasons).toHaveLength(5);
    expect(reasons).toEqual(
      expect.arrayContaining([
        "no route for queue 'no-such-queue'",
        expect.stringMatching(/^alarm is from account 111122223333, queue 'scale-a' is in /),
        expect.stringMatching(/^alarm is from region eu-west-3, queue 'scale-a' is in /),
        "SNS message is not JSON",
        expect.stringMatching(/^not a CloudWatch alarm notification/),
      ]),
    );

    // A real transition (OK, then ALARM), then its notification replayed: CloudWatch's transition
    // is what is remembered, so the replays, whatever StateChangeTime they claim, scale no more.
    await setAlarmState(platform, alarmOf("scale-a", 1), "OK");
    await handledBy(platform, down, ++downCalls);
    await setAlarmState(platform, alarmOf("scale-a", 1), "ALARM");
    await handledBy(platform, up, ++upCalls);
    expect(await loops("scale-a")).toBe(before + 1);
    await publish(notification());
    await publish(notification({ StateChangeTime: "2030-01-01T00:00:09.000+0000" }));
    upCalls += 2;
    await handledBy(platform, up, upCalls);
    await holdsFor(
      async () => (await loops("scale-a")) === before + 1,
      1_500,
      "the count to stay after a duplicate",
    );
  });
});
