import { InvokeCommand } from "@aws-sdk/client-lambda";
import { PublishCommand } from "@aws-sdk/client-sns";
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { PlatformFunction } from "@sqs-dispatcher/config";
import { ALARM_TIME_SCALE_ENV } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handledBy, ignoredReasons, setAlarmState } from "../support/scalingProbes.js";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { holdsFor, waitFor } from "../support/waitFor.js";

// Alarms are driven with SetAlarmState alone: one metric minute = 10 minutes, so the evaluator
// never takes a forced state back while a test looks (as in scaling.test.ts).
const previousScale = process.env[ALARM_TIME_SCALE_ENV];
process.env[ALARM_TIME_SCALE_ENV] = "0.1";

const registry = testRegistry({
  routes: [
    {
      queue: { name: "harden", visibilityTimeoutSec: 5 },
      function: "noop",
      minLoops: 1,
      maxLoops: 2,
      scaleStep: 1,
      alarms: [{ threshold: 50 }, { threshold: 500 }],
    },
  ],
});

let platform: TestPlatform;
const alarmOf = (tier: number) => `itest-local-harden-depth-${tier}`;
const up = PlatformFunction.ScaleUp;
const down = PlatformFunction.ScaleDown;

beforeAll(async () => {
  platform = await startTestPlatform(registry);
  await waitFor(async () => (await loops()) === 1, {
    timeoutMs: 20_000,
    description: "minLoops after reconcile",
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (previousScale === undefined) delete process.env[ALARM_TIME_SCALE_ENV];
  else process.env[ALARM_TIME_SCALE_ENV] = previousScale;
});

const loops = async () => (await platform.tokens(platform.queueUrl("harden"))).length;

/** Invokes the poller synchronously with `event`; its result. */
async function invokePoller(event: Record<string, unknown>): Promise<unknown> {
  const out = await platform.deployment.clients.lambda.send(
    new InvokeCommand({ FunctionName: PlatformFunction.Poller, Payload: JSON.stringify(event) }),
  );
  expect(out.FunctionError).toBeUndefined();
  return JSON.parse(new TextDecoder().decode(out.Payload));
}

describe("hardening on the local platform", () => {
  it("drops a poller event with a 2 KB token at once: no loop runs", async () => {
    const url = platform.queueUrl("harden");
    const token = "t".repeat(2_048);
    // `dropped` comes before the loop runs, so it neither heartbeats nor recurses.
    expect(await invokePoller({ queueUrl: url, token, loopId: "forged-loop" })).toEqual({
      status: "dropped",
      issues: ["token: token must be 1-128 letters, digits, '-' or '_'"],
    });
    expect(
      platform.cloud.lambda.running(PlatformFunction.Poller).some((r) => r.payload.includes(token)),
    ).toBe(false);
  });

  it("drops a poller event whose malformed token has a row: the row is not written", async () => {
    const url = platform.queueUrl("harden");
    const { doc } = platform.deployment.clients;
    // A token DynamoDB can store but the poller refuses; a loop that ran on it would renew its row.
    const row = {
      queueUrl: url,
      token: "forged token!",
      loopId: "forged-loop",
      createdAt: Date.now() - 2_000,
      lastUsed: Date.now() - 2_000,
    };
    await doc.send(new PutCommand({ TableName: platform.deployment.tables.tokens, Item: row }));
    try {
      const result = await invokePoller({ queueUrl: url, token: row.token, loopId: row.loopId });
      const stored = (await platform.tokens(url)).find((t) => t.token === row.token);
      expect(stored, "the forged token's row, untouched").toEqual(row);
      expect(result).toEqual({
        status: "dropped",
        issues: ["token: token must be 1-128 letters, digits, '-' or '_'"],
      });
    } finally {
      await doc.send(
        new DeleteCommand({
          TableName: platform.deployment.tables.tokens,
          Key: { queueUrl: url, token: row.token },
        }),
      );
    }
  });

  it("ignores a forged ALARM on the scale-up topic: no loop count changes", async () => {
    const before = await loops();
    const logsBefore = platform.logs.length;
    const upBefore = platform.cloud.lambda.stats(up).invocations;
    const { accountId, region } = platform.cloud;
    const forged = (alarmName: string, alarmArnName = alarmName) =>
      JSON.stringify({
        AlarmName: alarmName,
        AWSAccountId: accountId,
        NewStateValue: "ALARM",
        OldStateValue: "OK",
        // A fresh time each, as a forger would send, so de-duplication cannot be what stops it.
        StateChangeTime: new Date().toISOString(),
        AlarmArn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${alarmArnName}`,
        Trigger: { Dimensions: [{ value: "harden", name: "QueueName" }] },
      });
    const sns = platform.deployment.clients.sns;
    const topic = platform.deployment.scaling.scaleUpTopicArn;
    // Another stage's alarm name, and a real alarm name whose ARN names another alarm. (On AWS the
    // topic policy already refuses the publish; the handler's checks are the second line.)
    await sns.send(new PublishCommand({ TopicArn: topic, Message: forged("itest-prod-harden-depth-1") }));
    await sns.send(new PublishCommand({ TopicArn: topic, Message: forged(alarmOf(1), "elsewhere") }));
    // A crafted SNS event invoked on the function directly, claiming another topic.
    await platform.deployment.clients.lambda.send(
      new InvokeCommand({
        FunctionName: up,
        Payload: JSON.stringify({
          Records: [
            {
              EventSource: "aws:sns",
              Sns: {
                MessageId: "m",
                TopicArn: `arn:aws:sns:${region}:${accountId}:attacker`,
                Message: forged(alarmOf(1)),
              },
            },
          ],
        }),
      }),
    );
    await handledBy(platform, up, upBefore + 3);
    const reasons = await waitFor(
      () => {
        const found = ignoredReasons(platform, up, logsBefore);
        return found.length >= 3 && found;
      },
      { timeoutMs: 10_000, description: "three ignored records logged" },
    );
    expect(reasons.sort()).toEqual(
      [
        `forged: AlarmArn 'arn:aws:cloudwatch:${region}:${accountId}:alarm:elsewhere' does not name alarm '${alarmOf(1)}'`,
        `forged: alarm 'itest-prod-harden-depth-1' is not a tier alarm of queue 'harden' in this stage (${alarmOf(1)}, ${alarmOf(2)})`,
        `forged: delivered from topic 'arn:aws:sns:${region}:${accountId}:attacker', not this stage's scale-up topic`,
      ].sort(),
    );
    expect(await loops()).toBe(before);
  });

  it("ends two concurrent scale-downs at floor + 1 at the floor", async () => {
    const upBefore = platform.cloud.lambda.stats(up).invocations;
    const downBefore = platform.cloud.lambda.stats(down).invocations;
    await setAlarmState(platform, alarmOf(1), "ALARM");
    await waitFor(async () => (await loops()) === 2, { timeoutMs: 20_000, description: "floor + 1 loops" });
    await setAlarmState(platform, alarmOf(2), "ALARM");
    await handledBy(platform, up, upBefore + 2);
    expect(await loops()).toBe(2);

    // Both tiers ALARM → OK in the same moment: two scale-downs run at once.
    await Promise.all([setAlarmState(platform, alarmOf(1), "OK"), setAlarmState(platform, alarmOf(2), "OK")]);
    await handledBy(platform, down, downBefore + 2);
    expect(await loops()).toBe(1);
    await holdsFor(async () => (await loops()) === 1, 1_500, "the count to stay at the floor");
  });
});
