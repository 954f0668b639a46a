import { InvokeCommand } from "@aws-sdk/client-lambda";
import { PlatformFunction } from "@sqs-dispatcher/config";
import { ALARM_TIME_SCALE_ENV } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handledBy, setAlarmState } from "../support/scalingProbes.js";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

// Alarm states are set with SetAlarmState alone: one metric minute = 10 minutes, so the evaluator
// never takes a forced state back while a test looks (as in scaling.test.ts).
const previousScale = process.env[ALARM_TIME_SCALE_ENV];
process.env[ALARM_TIME_SCALE_ENV] = "0.1";

const registry = testRegistry({
  routes: [
    {
      queue: { name: "verify", visibilityTimeoutSec: 5 },
      function: "noop",
      minLoops: 2,
      maxLoops: 6,
      scaleStep: 2,
      alarms: [{ threshold: 50 }],
    },
  ],
});

let platform: TestPlatform;
const alarm = "itest-local-verify-depth-1";
const up = PlatformFunction.ScaleUp;
const down = PlatformFunction.ScaleDown;

beforeAll(async () => {
  platform = await startTestPlatform(registry);
  await waitFor(async () => (await loops()) === 2, { timeoutMs: 20_000, description: "minLoops" });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (previousScale === undefined) delete process.env[ALARM_TIME_SCALE_ENV];
  else process.env[ALARM_TIME_SCALE_ENV] = previousScale;
});

const loops = async () => (await platform.tokens(platform.queueUrl("verify"))).length;

/**
 * A well-formed SNS event as the scale function's subscription delivers it: the stage's real topic,
 * a CloudWatch notification for `alarmName` of queue `verify` of this account and region.
 */
function snsEvent(
  fn: typeof up | typeof down,
  alarmName: string,
  states: { from: string; to: string },
  records = 1,
) {
  const { accountId, region } = platform.cloud;
  const topicArn =
    fn === up ? platform.deployment.scaling.scaleUpTopicArn : platform.deployment.scaling.scaleDownTopicArn;
  return {
    Records: Array.from({ length: records }, (_, i) => ({
      EventSource: "aws:sns",
      Sns: {
        MessageId: `forged-${i}`,
        TopicArn: topicArn,
        Message: JSON.stringify({
          AlarmName: alarmName,
          AWSAccountId: accountId,
          NewStateValue: states.to,
          OldStateValue: states.from,
          // A fresh time each, as a forger would send, so de-duplication cannot be what stops it.
          StateChangeTime: new Date(Date.UTC(2030, 0, 1, 0, 0, 0, i)).toISOString(),
          AlarmArn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${alarmName}`,
          Trigger: {
            Namespace: "AWS/SQS",
            MetricName: "ApproximateNumberOfMessagesVisible",
            Dimensions: [{ name: "QueueName", value: "verify" }],
          },
        }),
      },
    })),
  };
}

/** Invokes `fn` synchronously with `event`, as anyone allowed lambda:InvokeFunction on it can. */
async function invoke(fn: string, event: unknown) {
  const out = await platform.deployment.clients.lambda.send(
    new InvokeCommand({ FunctionName: fn, Payload: JSON.stringify(event) }),
  );
  expect(out.FunctionError).toBeUndefined();
  return JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8")) as {
    records: number;
    outcomes: Record<string, number>;
  };
}

const alarmToOk = { from: "ALARM", to: "OK" };
const okToAlarm = { from: "OK", to: "ALARM" };

describe("scale functions invoked directly with well-formed events", () => {
  it("change no loop count for an alarm CloudWatch has in another state", async () => {
    await setAlarmState(platform, alarm, "OK");
    await handledBy(platform, down, 1);
    const before = await loops();
    expect(await invoke(up, snsEvent(up, alarm, okToAlarm))).toEqual({
      records: 1,
      outcomes: { ignored: 1 },
    });
    expect(await loops()).toBe(before);

    await setAlarmState(platform, alarm, "ALARM");
    await waitFor(async () => (await loops()) === before + 2, {
      timeoutMs: 20_000,
      description: "the real ALARM",
    });
    await handledBy(platform, up, 2);
    expect(await invoke(down, snsEvent(down, alarm, alarmToOk))).toEqual({
      records: 1,
      outcomes: { ignored: 1 },
    });
    expect(await loops()).toBe(before + 2);
  });

  it("change no loop count for a prefixed alarm that does not exist, or another stage's", async () => {
    const before = await loops();
    for (const name of [
      "itest-local-verify-depth-2",
      "itest-local-eu-verify-depth-1",
      "itest-local-verify",
    ]) {
      expect(await invoke(up, snsEvent(up, name, okToAlarm))).toEqual({
        records: 1,
        outcomes: { ignored: 1 },
      });
      expect(await invoke(down, snsEvent(down, name, alarmToOk))).toEqual({
        records: 1,
        outcomes: { ignored: 1 },
      });
    }
    expect(await loops()).toBe(before);
  });

  it("change no loop count for 1,000 records of the real alarm in its real state", async () => {
    const before = await loops(); // the alarm is in ALARM
    expect(await invoke(up, snsEvent(up, alarm, okToAlarm, 1_000))).toEqual({
      records: 1,
      outcomes: { ignored: 1 },
    });
    expect(await loops()).toBe(before);
    await setAlarmState(platform, alarm, "OK");
    await waitFor(async () => (await loops()) === before - 1, {
      timeoutMs: 20_000,
      description: "the real OK",
    });
    expect(await invoke(down, snsEvent(down, alarm, alarmToOk, 1_000))).toEqual({
      records: 1,
      outcomes: { ignored: 1 },
    });
    expect(await loops()).toBe(before - 1);
  });

  it("scale a replay of the real transition at most once with it", async () => {
    await handledBy(platform, down, 2);
    const before = await loops();
    await setAlarmState(platform, alarm, "ALARM");
    await waitFor(async () => (await loops()) === before + 2, {
      timeoutMs: 20_000,
      description: "the real ALARM",
    });
    const replayed = await invoke(up, snsEvent(up, alarm, okToAlarm, 10));
    expect(replayed).toEqual({ records: 10, outcomes: { duplicate: 10 } });
    expect(await loops()).toBe(before + 2);
  });
});
