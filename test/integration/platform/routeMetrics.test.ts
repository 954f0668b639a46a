import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

describe("per-route metrics of the poller", () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [{ queue: { name: "metered", visibilityTimeoutSec: 10 }, function: "record" }],
      }),
    );
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it("GetMetricData returns non-zero MessagesSucceeded for the route's queue in the last minute", async () => {
    await platform.send(
      "metered",
      Array.from({ length: 30 }, (_, i) => ({ i })),
    );
    const succeeded = await waitFor(
      async () => {
        const now = Date.now();
        const out = await platform.deployment.clients.cloudwatch.send(
          new GetMetricDataCommand({
            StartTime: new Date(now - 60_000),
            EndTime: new Date(now + 1_000),
            MetricDataQueries: [
              {
                Id: "ok",
                MetricStat: {
                  Metric: {
                    Namespace: "SqsDispatcher",
                    MetricName: "MessagesSucceeded",
                    Dimensions: [
                      { Name: "Stage", Value: "local" },
                      { Name: "Queue", Value: "metered" },
                    ],
                  },
                  Period: 60,
                  Stat: "Sum",
                },
              },
            ],
          }),
        );
        const total = (out.MetricDataResults?.[0]?.Values ?? []).reduce((a, b) => a + b, 0);
        return total >= 30 ? total : undefined;
      },
      { timeoutMs: 30_000, description: "MessagesSucceeded of 'metered' reaching 30" },
    );
    expect(succeeded).toBeGreaterThanOrEqual(30);
  });
});
