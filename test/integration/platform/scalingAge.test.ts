import { DescribeAlarmsCommand, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/**
 * An alarm tier on the age of the oldest message: one slow message keeps the queue shallow (depth
 * 1, which no depth tier would notice) while it ages past the tier's threshold. The local
 * CloudWatch computes ApproximateAgeOfOldestMessage from the queue as SQS does (one metric minute
 * = 3 s here; the age itself is in real seconds).
 */
const slowMs = 11_000;
const registry = testRegistry({
  functions: {
    slowRecord: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 12 },
  },
  // One poller invocation must fit a long poll and the slow handler; staleness must exceed that.
  local: { poller: { timeoutSec: 30 }, restart: { staleAfterSec: 25, startGraceSec: 25 } },
  routes: [
    {
      queue: { name: "aging", visibilityTimeoutSec: 60 },
      function: "slowRecord",
      minLoops: 1,
      maxLoops: 2,
      scaleStep: 1,
      alarms: [{ metric: "age", threshold: 3 }],
    },
    {
      // Depth mode: one message never reaches targetPerLoop, but maxAgeSec adds a loop while it ages.
      queue: { name: "aging-depth", visibilityTimeoutSec: 60 },
      function: "slowRecord",
      minLoops: 1,
      maxLoops: 2,
      scaling: { mode: "depth", targetPerLoop: 1_000, scaleInCooldownSec: 1, maxAgeSec: 3 },
    },
  ],
});

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform(registry);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

const loops = async (queue = "aging") => (await platform.tokens(platform.queueUrl(queue))).length;

/** The age of a queue's oldest message as the local CloudWatch reports it (what depth mode reads). */
async function reportedAge(queue: string): Promise<number | undefined> {
  const now = Date.now();
  const out = await platform.deployment.clients.cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateAgeOfOldestMessage",
      Dimensions: [{ Name: "QueueName", Value: queue }],
      StartTime: new Date(now - 300_000),
      EndTime: new Date(now),
      Period: 60,
      Statistics: ["Maximum"],
    }),
  );
  return out.Datapoints?.[0]?.Maximum;
}

describe("scaling on the age of the oldest message", () => {
  it("deploys the age tier as an alarm on ApproximateAgeOfOldestMessage, threshold in seconds", async () => {
    const out = await platform.deployment.clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: ["itest-local-aging-depth-1"] }),
    );
    expect(out.MetricAlarms?.[0]).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateAgeOfOldestMessage",
      Dimensions: [{ Name: "QueueName", Value: "aging" }],
      Threshold: 3,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    await waitFor(async () => (await loops()) === 1, { timeoutMs: 20_000, description: "minLoops" });
  });

  it("gains a loop while the oldest message is older than the threshold, and loses it once the queue drains", async () => {
    const [id] = await platform.send("aging", [{ sleepMs: slowMs }]);
    await waitFor(async () => (await loops()) === 2 && !(await platform.processed([id!])).has(id!), {
      timeoutMs: slowMs,
      description: "a second loop while the one message (depth 1) is still ageing in its handler",
    });

    await waitFor(async () => (await platform.processed([id!])).has(id!), {
      timeoutMs: slowMs + 20_000,
      description: "the slow message handled",
    });
    // Generous: OK needs two local metric minutes after the delete, and the SNS → scale-down delivery.
    await waitFor(async () => (await loops()) === 1, {
      timeoutMs: 60_000,
      description: "back to one loop after the queue drained (age 0 → OK → scale-down)",
    });
  });

  it("depth mode: adds a loop while the oldest message is older than maxAgeSec, and removes it after", async () => {
    await waitFor(async () => (await loops("aging-depth")) === 1, {
      timeoutMs: 20_000,
      description: "minLoops",
    });
    expect(await reportedAge("aging-depth")).toBe(0);
    const [id] = await platform.send("aging-depth", [{ sleepMs: slowMs }]);
    await waitFor(async () => ((await reportedAge("aging-depth")) ?? 0) > 3, {
      timeoutMs: slowMs,
      description: "CloudWatch reporting the message older than maxAgeSec",
    });
    await waitFor(
      async () => (await loops("aging-depth")) === 2 && !(await platform.processed([id!])).has(id!),
      {
        timeoutMs: slowMs,
        description: "a second loop from restart's reconcile while the message ages",
      },
    );
    await waitFor(async () => (await platform.processed([id!])).has(id!), {
      timeoutMs: slowMs + 20_000,
      description: "the slow message handled",
    });
    await waitFor(async () => (await loops("aging-depth")) === 1, {
      timeoutMs: 20_000,
      description: "back to one loop once the age is under maxAgeSec and the cooldown passed",
    });
  });
});
