import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

const registry = testRegistry({
  routes: [
    {
      queue: { name: "bulk", visibilityTimeoutSec: 10, maxReceiveCount: 3 },
      function: "record",
      minLoops: 2,
      maxLoops: 2,
    },
    // A short visibility timeout so failed records come back within seconds.
    { queue: { name: "poison", visibilityTimeoutSec: 2, maxReceiveCount: 3 }, function: "record" },
    { queue: { name: "unstable", visibilityTimeoutSec: 3, maxReceiveCount: 5 }, function: "record" },
  ],
});

describe("the poller draining queues through handler functions", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(registry);
    await waitFor(
      async () => {
        for (const q of ["bulk", "poison", "unstable"]) {
          const tokens = await platform.tokens(platform.queueUrl(q));
          if (tokens.length === 0 || tokens.some((t) => t.lastUsed === undefined)) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, description: "every route's loops heartbeating" },
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  const drained = async (queue: string) => {
    const depth = await platform.depth(platform.queueUrl(queue));
    return depth.visible === 0 && depth.inFlight === 0;
  };

  it("records all of 2,000 messages and leaves the queue and its DLQ empty", async () => {
    const bodies = Array.from({ length: 2_000 }, (_, n) => ({ n }));
    const parts = [0, 1, 2, 3].map((p) => bodies.slice(p * 500, (p + 1) * 500));
    const ids = (await Promise.all(parts.map((part) => platform.send("bulk", part)))).flat();
    expect(new Set(ids).size).toBe(2_000);

    // Watch the queue drain (cheap) before reading back all 2,000 items (not cheap).
    await waitFor(() => drained("bulk"), {
      timeoutMs: 150_000,
      intervalMs: 1_000,
      description: "bulk drained",
    });
    const recorded = await waitFor(
      async () => {
        const found = await platform.processed(ids);
        return found.size === ids.length ? found : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000, description: "all 2,000 messages recorded" },
    );
    expect([...recorded.values()].every((item) => item.queue === "bulk" && item.handledBy === "record")).toBe(
      true,
    );
    await waitFor(() => drained("bulk"), { timeoutMs: 30_000, description: "bulk empty" });
    expect(await platform.depth(platform.dlqUrl("bulk"))).toEqual({ visible: 0, inFlight: 0 });
  }, 200_000);

  it("sends records marked fail to the DLQ after maxReceiveCount receives, records the rest once, and the loop lives on", async () => {
    const bodies = Array.from({ length: 20 }, (_, n) => (n % 5 === 2 ? { n, fail: true } : { n }));
    const ids = await platform.send("poison", bodies);
    const failIds = ids.filter((_, i) => i % 5 === 2);
    const okIds = ids.filter((_, i) => i % 5 !== 2);
    const [before] = await platform.tokens(platform.queueUrl("poison"));

    await waitFor(
      async () =>
        (await platform.depth(platform.dlqUrl("poison"))).visible === failIds.length && drained("poison"),
      { timeoutMs: 60_000, description: "the 4 failing messages in the DLQ and the queue empty" },
    );
    const items = await platform.processed(ids);
    for (const id of okIds) expect(items.get(id)?.deliveries).toBe(1);
    // Each receive of a failing record reached the handler; the next one after the last found it in the DLQ.
    for (const id of failIds) expect(items.get(id)?.deliveries).toBe(3);

    const { Messages = [] } = await platform.deployment.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: platform.dlqUrl("poison"),
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    expect(Messages.map((m) => m.MessageId).sort()).toEqual([...failIds].sort());

    const [after] = await platform.tokens(platform.queueUrl("poison"));
    expect(after?.token).toBe(before?.token);
    const [late] = await platform.send("poison", [{ late: true }]);
    await waitFor(async () => (await platform.processed([late!])).size === 1, {
      timeoutMs: 20_000,
      description: "a message sent afterwards recorded",
    });
  }, 90_000);

  it("survives a handler that crashes or times out: the loop goes on and the messages are processed later", async () => {
    const [before] = await platform.tokens(platform.queueUrl("unstable"));
    // The first delivery of each misbehaving message fails its whole batch; the second succeeds.
    const crashIds = await platform.send("unstable", [
      { crash: true, untilReceiveCount: 2 },
      ...Array.from({ length: 4 }, (_, n) => ({ n })),
    ]);
    await waitFor(async () => (await platform.processed(crashIds)).size === crashIds.length, {
      timeoutMs: 30_000,
      description: "the crash batch processed in the end",
    });
    const timeoutIds = await platform.send("unstable", [
      { sleepMs: 3_500, untilReceiveCount: 2 },
      ...Array.from({ length: 4 }, (_, n) => ({ n })),
    ]);
    const items = await waitFor(
      async () => {
        const found = await platform.processed(timeoutIds);
        return found.size === timeoutIds.length ? found : undefined;
      },
      { timeoutMs: 40_000, description: "the timed-out batch processed in the end" },
    );
    const crashed = (await platform.processed(crashIds)).get(crashIds[0]!);
    expect(crashed?.receiveCount).toBeGreaterThanOrEqual(2);
    // The handler was killed mid-sleep on the first delivery, so only the second one recorded it.
    expect(items.get(timeoutIds[0]!)?.receiveCount).toBeGreaterThanOrEqual(2);
    expect(platform.cloud.lambda.stats("record").timeouts).toBeGreaterThanOrEqual(1);
    await waitFor(() => drained("unstable"), { timeoutMs: 20_000, description: "unstable empty" });
    expect((await platform.depth(platform.dlqUrl("unstable"))).visible).toBe(0);

    // The same loop still holds the token: neither failure ended it or needed a restart.
    const [after] = await platform.tokens(platform.queueUrl("unstable"));
    expect(after?.loopId).toBe(before?.loopId);
    expect(after?.lastUsed).toBeGreaterThan(before?.lastUsed ?? 0);
  }, 90_000);
});
