import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDispatcher } from "../support/cliHarness.js";
import { startTestPlatform, type TestPlatform } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";
import registry from "./dispatchEngineRegistry.js";

/*
 * The dispatch engine end to end: an invoke that did not run the handler never costs a message
 * its receives, events over 6 MB are split, and FIFO order per group holds with several batches
 * in flight per loop.
 */
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform(registry);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

async function drained(queue: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const depth = await platform.depth(platform.queueUrl(queue));
      return depth.visible === 0 && depth.inFlight === 0;
    },
    { timeoutMs, description: `${queue} drained` },
  );
}

describe("a handler that cannot take every batch", () => {
  it("records all 400 messages behind 4 loops × 2 batches and reserved concurrency 1, with none in the DLQ", async () => {
    const throttled = platform.cloud.lambda.list().find((f) => f.name === "throttled");
    if (!throttled) throw new Error("function 'throttled' is not deployed");
    await platform.cloud.lambda.register({ ...throttled, reservedConcurrency: 1 });
    // 40 batches for one handler instance: eight batch slots contend for it throughout, so throttles
    // are certain, while the drain stays well inside the deadline on a loaded machine, where one
    // instance carries a batch a second or slower.
    const ids = await platform.send(
      "throttled",
      Array.from({ length: 400 }, (_, i) => ({ i })),
    );
    // A check that is not yet met throws: waitFor reports the last error, so a timeout says how far it got.
    await waitFor(
      async () => {
        const recorded = (await platform.processed(ids)).size;
        if (recorded < ids.length) throw new Error(`${recorded} of ${ids.length} recorded`);
        return true;
      },
      { timeoutMs: 180_000, intervalMs: 1_000, description: "every message recorded" },
    );
    await drained("throttled", 30_000);
    expect((await platform.depth(platform.dlqUrl("throttled"))).visible).toBe(0);
    // The loops did meet throttles (else this test would prove nothing): the local Lambda answered 429.
    expect(platform.cloud.lambda.stats("throttled").throttles).toBeGreaterThan(0);
  }, 240_000);
});

describe("messages whose batch exceeds the 6 MB synchronous limit", () => {
  it("processes ten 900 KB messages, splitting the batch, with none in the DLQ", async () => {
    const { sqs } = platform.deployment.clients;
    const ids: string[] = [];
    // One at a time: a SendMessageBatch is limited to 1 MiB in all.
    for (let i = 0; i < 10; i++) {
      const out = await sqs.send(
        new SendMessageCommand({
          QueueUrl: platform.queueUrl("large"),
          MessageBody: `${i}`.padEnd(900_000, "x"),
        }),
      );
      ids.push(out.MessageId!);
    }
    await waitFor(async () => (await platform.processed(ids)).size === ids.length, {
      timeoutMs: 60_000,
      description: "every large message recorded",
    });
    const items = await platform.processed(ids);
    for (const id of ids) expect(items.get(id)).toMatchObject({ bodyBytes: 900_000 });
    // No invoke carried more than six of them (6 × 900 KB + overhead < 6 MB < 7 × 900 KB).
    const perInvoke = ids.map((id) =>
      Number((items.get(id) as unknown as { batchRecords: number }).batchRecords),
    );
    expect(Math.max(...perInvoke)).toBeLessThanOrEqual(6);
    await drained("large", 20_000);
    expect((await platform.depth(platform.dlqUrl("large"))).visible).toBe(0);
  }, 90_000);
});

describe("a FIFO group of large messages, split across invokes", () => {
  it("keeps the group's order through a failure in the first invoke: no later record runs before the failed one's retry", async () => {
    const { sqs } = platform.deployment.clients;
    const queueUrl = platform.queueUrl("large.fifo");
    const ids: string[] = [];
    // One at a time (a SendMessageBatch is limited to 1 MiB in all) while the route is paused, so one
    // receive then takes the whole group: 10 × 900 KB, split under 6 MB into two invokes.
    for (let i = 0; i < 10; i++) {
      const out = await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: (i === 2 ? `fail ${i} ` : `ok ${i} `).padEnd(900_000, "x"),
          MessageGroupId: "g",
          MessageDeduplicationId: `large-${i}`,
        }),
      );
      ids.push(out.MessageId!);
    }
    const resume = await runDispatcher(
      { endpoint: platform.cloud.endpoint, config: "test/integration/platform/dispatchEngineRegistry.ts" },
      ["routes", "set", "large.fifo", "--no-paused"],
    );
    expect(resume.code, resume.stderr).toBe(0);
    await waitFor(async () => (await platform.processed(ids)).size === ids.length, {
      timeoutMs: 90_000,
      description: "every large FIFO message recorded",
    });
    await drained("large.fifo", 30_000);

    const items = await platform.processed(ids);
    const perInvoke = ids.map((id) =>
      Number((items.get(id) as unknown as { batchRecords: number }).batchRecords),
    );
    // The batch was split: no invoke carried all ten.
    expect(Math.max(...perInvoke)).toBeLessThanOrEqual(6);
    // m2 failed once and ran again.
    expect(
      Number((items.get(ids[2]!) as unknown as { receiveCount: number }).receiveCount),
    ).toBeGreaterThanOrEqual(2);
    // The recorded sequence: it starts at m0, and each entry is the next message or a redelivery
    // resuming at or before the entry it follows: nothing after m2 was handled before m2 succeeded.
    const log = await platform.orderLog("large.fifo", "g");
    const at = log.map((id) => ids.indexOf(id));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at[0]).toBe(0);
    for (let k = 1; k < at.length; k++)
      expect(at[k]!, `sequence ${at.join(",")}`).toBeLessThanOrEqual(at[k - 1]! + 1);
    const firstPastTheFailure = at.findIndex((i) => i > 2);
    const failedSeen = at.slice(0, firstPastTheFailure).filter((i) => i === 2).length;
    expect(failedSeen, `sequence ${at.join(",")}`).toBeGreaterThanOrEqual(2);
    expect((await platform.depth(platform.dlqUrl("large.fifo"))).visible).toBe(0);
  }, 180_000);
});

describe("a route whose function does not exist", () => {
  it("shows blocked in status --json, sends nothing to the DLQ while blocked, and drains once the function exists", async () => {
    const definition = platform.cloud.lambda.list().find((f) => f.name === "later");
    if (!definition) throw new Error("function 'later' is not deployed");
    await platform.cloud.lambda.unregister("later");
    const ids = await platform.send(
      "missing",
      Array.from({ length: 30 }, (_, i) => ({ i })),
    );
    const status = async () => {
      const run = await runDispatcher(
        { endpoint: platform.cloud.endpoint, config: "test/integration/platform/dispatchEngineRegistry.ts" },
        ["status", "missing", "--json"],
      );
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout).queues[0] as { state: string; blockedReason: string | null };
    };
    await waitFor(async () => (await status()).state === "blocked", {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: "status showing the route blocked",
    });
    expect((await status()).blockedReason).toBe("function-not-found");
    // Several invocations' worth of being blocked: 2 receives each would have sent everything to the DLQ.
    const blockedUntil = Date.now() + 8_000;
    await waitFor(async () => Date.now() > blockedUntil, {
      timeoutMs: 10_000,
      description: "a while blocked",
    });
    expect((await platform.depth(platform.dlqUrl("missing"))).visible).toBe(0);
    expect((await platform.processed(ids)).size).toBe(0);

    await platform.cloud.lambda.register(definition);
    await waitFor(async () => (await platform.processed(ids)).size === ids.length, {
      timeoutMs: 60_000,
      description: "every message recorded once the function exists",
    });
    await waitFor(async () => (await status()).state === "active", {
      timeoutMs: 30_000,
      description: "status showing the route active again",
    });
    await drained("missing", 20_000);
    expect((await platform.depth(platform.dlqUrl("missing"))).visible).toBe(0);
  }, 180_000);
});

describe("FIFO with several batches in flight per loop", () => {
  it("keeps each of 20 groups in order across failures, with concurrency 4", async () => {
    const groups = Array.from({ length: 20 }, (_, g) => `g${g}`);
    const sent = new Map<string, string[]>();
    for (const group of groups) {
      const g = Number(group.slice(1));
      // Every fourth group has a record that fails on its first delivery; the handler reports only
      // that record, so keeping the later ones back is the poller's doing.
      const bodies = Array.from({ length: 12 }, (_, i) =>
        g % 4 === 0 && i === 4
          ? { i, traceOrder: true, fail: true, untilReceiveCount: 2 }
          : { i, traceOrder: true },
      );
      sent.set(group, await platform.send("groups.fifo", bodies, { groupId: group }));
    }
    const all = [...sent.values()].flat();
    let mostBusy = 0;
    const sampler = setInterval(() => {
      mostBusy = Math.max(mostBusy, platform.cloud.lambda.stats("failOnly").busy);
    }, 20);
    try {
      await waitFor(async () => (await platform.processed(all)).size === all.length, {
        timeoutMs: 120_000,
        intervalMs: 1_000,
        description: "every FIFO message recorded",
      });
    } finally {
      clearInterval(sampler);
    }
    await drained("groups.fifo", 30_000);
    for (const [group, ids] of sent) {
      const g = Number(group.slice(1));
      const log = await platform.orderLog("groups.fifo", group);
      if (g % 4 !== 0) {
        expect(log, `group ${group}`).toEqual(ids);
        continue;
      }
      // A failing group is seen up to the end of the batch that held the failure (the handler went on
      // past it), then again from the failed record on, to the end: never a later record before it.
      const firstPass = log.length - ids.slice(4).length;
      expect(firstPass, `group ${group}: ${log.length} deliveries`).toBeGreaterThanOrEqual(5);
      expect(log, `group ${group}`).toEqual([...ids.slice(0, firstPass), ...ids.slice(4)]);
    }
    expect((await platform.depth(platform.dlqUrl("groups.fifo"))).visible).toBe(0);
    // More batches were in the handler at once than there are loops (else concurrency would prove nothing).
    expect(mostBusy).toBeGreaterThan(2);
  }, 180_000);
});
