import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { defaultSharedQueuesPerLoop } from "@sqs-dispatcher/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CapturedLog,
  startTestPlatform,
  type TestPlatform,
  testRegistry,
} from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/** 39 standard quiet routes and one FIFO quiet route, plus one quiet route that gets a burst: 41. */
const quiet = [...Array.from({ length: 39 }, (_, i) => `quiet-${i}`), "quiet-order.fifo"];
const burstQueue = "bursty";
const routeCount = quiet.length + 1;
const sharedLoops = Math.ceil(routeCount / defaultSharedQueuesPerLoop);
/**
 * The burst: 5,000 messages, sent in ten streams at once, which outlast what the shared loop alone
 * drains before depth mode adds loops.
 */
const burstSize = 5_000;
const staleAfterSec = 12;
const restartIntervalSec = 2;
const waitTimeSec = 5;

/**
 * Whether a FIFO group's handler log keeps the group's order: it starts at the group's first
 * message, and each entry is the next message or a redelivery that resumes at or before the entry
 * it follows (a failed record and the rest of its batch come again). No message is ever seen
 * before one sent ahead of it in its group had been seen.
 */
const keepsGroupOrder = (log: readonly string[], sent: readonly string[]) => {
  const at = log.map((id) => sent.indexOf(id));
  return (
    at.every((i) => i >= 0) &&
    at[0] === 0 &&
    at.every((i, k) => k === 0 || i <= at[k - 1]! + 1) &&
    sent.every((id) => log.includes(id))
  );
};

/** A function's Powertools log lines since `since` (epoch ms): their fields and their time. */
const functionLines = (logs: readonly CapturedLog[], service: string, since: number) =>
  logs.flatMap((l) => {
    if (!l.message.startsWith("{")) return [];
    try {
      const line = JSON.parse(l.message) as Record<string, unknown>;
      const at = Date.parse(String(line.timestamp));
      return line.service === service && at >= since ? [{ fields: line, at }] : [];
    } catch {
      return [];
    }
  });

describe("shared loops: 40 quiet routes and one that gets a burst", () => {
  let platform: TestPlatform;
  let cloudwatch: CloudWatchClient;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [
          ...quiet.map((name) => ({
            // A failed FIFO batch comes back within seconds, not after the default 180 s: the
            // group stays blocked behind it until then.
            queue: name.endsWith(".fifo") ? { name, visibilityTimeoutSec: 5 } : { name },
            function: "record",
            minLoops: 0,
            maxLoops: 1,
            concurrency: 2,
            // Two FIFO records a batch: the handler writes twice per record, and eight records on a
            // loaded machine outran its 2 s timeout again at every redelivery.
            ...(name.endsWith(".fifo") ? { batchSize: 2 } : {}),
          })),
          {
            queue: { name: burstQueue },
            function: "noop",
            minLoops: 0,
            maxLoops: 3,
            // One batch at a time per loop: the shared loop's lane alone cannot keep up with the
            // burst however fast the machine, so its depth builds and depth mode must add loops.
            concurrency: 1,
            scaling: { mode: "depth" as const, targetPerLoop: 200, scaleInCooldownSec: 2 },
          },
        ],
        local: {
          // Long polls of 5 s, as a shared loop's are long on AWS (20 s): 41 members make about 8
          // receives a second here, not 41.
          // A margin of 3 s: an invocation ending late on a loaded machine is killed at its timeout,
          // and the long polls it leaves open on the SQS side take messages nobody reads.
          poller: { timeoutSec: 30, waitTimeSec, marginSec: 3, renewEverySec: 2, routeCacheTtlSec: 2 },
          restart: { intervalSec: restartIntervalSec, staleAfterSec, startGraceSec: staleAfterSec },
        },
      }),
    );
    cloudwatch = new CloudWatchClient({
      endpoint: platform.cloud.endpoint,
      region: platform.cloud.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
  }, 180_000);
  afterAll(async () => {
    cloudwatch?.destroy();
    await platform?.stop();
  });

  /** Shared-loop rows only: every route polled by its group, none with a dedicated loop. */
  const atRest = async () => {
    for (const name of [...quiet, burstQueue]) {
      const rows = await platform.tokens(platform.queueUrl(name));
      if (rows.length !== 1 || rows[0]?.token !== "shared") return false;
    }
    return true;
  };

  /**
   * The median of the poller's `AWS/Lambda` `ConcurrentExecutions` over the last `windowMs`, read
   * with GetMetricData. The median, not the maximum: a recursing loop's next invocation starts a
   * moment before the one that invoked it returns, on AWS as here.
   */
  const pollerConcurrency = async (windowMs: number) => {
    const now = Date.now();
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - windowMs),
        EndTime: new Date(now),
        MetricDataQueries: [
          {
            Id: "running",
            MetricStat: {
              Metric: {
                Namespace: "AWS/Lambda",
                MetricName: "ConcurrentExecutions",
                Dimensions: [{ Name: "FunctionName", Value: "poller" }],
              },
              Period: Math.ceil(windowMs / 1000),
              Stat: "p50",
            },
          },
        ],
      }),
    );
    return out.MetricDataResults?.[0]?.Values?.[0];
  };

  it("at rest runs at most ⌈41 / sharedQueuesPerLoop⌉ poller invocations, read from AWS/Lambda ConcurrentExecutions", async () => {
    await waitFor(atRest, { timeoutMs: 60_000, description: "every route in a shared group" });
    const running = await waitFor(
      async () => {
        const value = await pollerConcurrency(8_000);
        return value !== undefined && value > 0 && platform.cloud.lambda.stats("poller").busy >= sharedLoops
          ? value
          : undefined;
      },
      { timeoutMs: 30_000, description: "the shared loops running, seen in the metric" },
    );
    expect(running).toBeLessThanOrEqual(sharedLoops);
  }, 120_000);

  it("handles a first message on each of several quiet queues through the running shared loop, without restart starting a loop", async () => {
    // One queue at a time, so each message finds the handler warm. How fast is measured by
    // `pnpm bench --only idle` (first-message median and worst), never asserted here: a loaded
    // machine's scheduling would decide it. What is asserted is the path: the shared loop's open
    // long poll takes the message, so the queue never gets a dedicated loop (an `idle: "sleep"`
    // route would wait for restart's depth check to start one).
    const latencies: number[] = [];

    for (const name of ["quiet-0", "quiet-13", "quiet-26", "quiet-38", "quiet-order.fifo"]) {
      const at = Date.now();
      const [id] = await platform.send(name, [{ first: name }]);
      const item = await waitFor(async () => (await platform.processed([id!])).get(id!), {
        timeoutMs: 20_000,
        description: `the first message on ${name} handled`,
      });
      latencies.push(item.firstAt - at);
    }
    console.info(`first message, send to handler (ms): ${latencies.join(", ")}`);
    for (const name of ["quiet-0", "quiet-13", "quiet-26", "quiet-38", "quiet-order.fifo"]) {
      const rows = await platform.tokens(platform.queueUrl(name));
      expect(rows.map((row) => row.token)).toEqual(["shared"]);
    }
  }, 120_000);

  it("keeps per-group order on a FIFO quiet route, also across a failure in the middle of a group", async () => {
    // SQS hands out one batch per message group at a time, so each group is a chain of receives
    // and invokes: slow on a loaded machine beside 40 other long-polling members, hence the deadline.
    // a3 fails on its first delivery: a4..a7 must not overtake it.
    const group = (g: string, failAt?: number) =>
      Array.from({ length: 8 }, (_, i) =>
        i === failAt
          ? { group: g, i, traceOrder: true, fail: true, untilReceiveCount: 2 }
          : { group: g, i, traceOrder: true },
      );
    const a = await platform.send("quiet-order.fifo", group("a", 3), { groupId: "a" });
    const b = await platform.send("quiet-order.fifo", group("b"), { groupId: "b" });
    const all = [...a, ...b];
    // a3's first delivery always fails (its own failure, or the batch's timeout on a loaded machine
    // before the handler reached it), so it is received at least twice.
    await waitFor(
      async () => {
        const found = await platform.processed(all);
        const depth = await platform.depth(platform.queueUrl("quiet-order.fifo"));
        return (
          found.size === all.length &&
          (found.get(a[3]!)?.receiveCount ?? 0) >= 2 &&
          depth.visible === 0 &&
          depth.inFlight === 0
        );
      },
      { timeoutMs: 90_000, description: "both groups handled, a3 again after its failure, the queue empty" },
    );
    const logA = await platform.orderLog("quiet-order.fifo", "a");
    const logB = await platform.orderLog("quiet-order.fifo", "b");
    expect(keepsGroupOrder(logA, a), `group a seen as ${logA.map((id) => a.indexOf(id)).join(",")}`).toBe(
      true,
    );
    expect(keepsGroupOrder(logB, b), `group b seen as ${logB.map((id) => b.indexOf(id)).join(",")}`).toBe(
      true,
    );
  }, 120_000);

  it("drains a burst through dedicated loops, then goes back to rest", async () => {
    const url = platform.queueUrl(burstQueue);
    const bodies = Array.from({ length: burstSize }, (_, i) => ({ i }));
    // Ten streams at once: the burst lands faster than one loop drains it (a standard queue, no order).
    await Promise.all(
      Array.from({ length: 10 }, (_, stream) =>
        platform.send(
          burstQueue,
          bodies.filter((_, i) => i % 10 === stream),
        ),
      ),
    );
    await waitFor(async () => (await platform.tokens(url)).some((row) => row.token !== "shared"), {
      timeoutMs: 30_000,
      description: "depth mode to add a dedicated loop to the bursting route",
    });
    await waitFor(
      async () => {
        const depth = await platform.depth(url);
        return depth.visible === 0 && depth.inFlight === 0;
      },
      { timeoutMs: 300_000, intervalMs: 500, description: "the burst drained" },
    );
    // Drained by handling, not by dead-lettering: the no-op handler succeeds on every message.
    expect((await platform.depth(platform.dlqUrl(burstQueue))).visible).toBe(0);
    await waitFor(atRest, { timeoutMs: 60_000, description: "the dedicated loops gone again" });
    await waitFor(
      async () => {
        const value = await pollerConcurrency(5_000);
        return value !== undefined && value <= sharedLoops;
      },
      { timeoutMs: 30_000, description: `at most ${sharedLoops} poller invocations running again` },
    );
  }, 480_000);

  it("brings a group back after its shared loop's environment is killed, within staleAfterSec + a restart interval", async () => {
    const lambda = platform.cloud.lambda;
    const droppedBefore = lambda.stats("poller").asyncDropped;
    const killedAt = Date.now();
    // Lambda retries a failed async invocation twice; kill those too, so only restart brings the groups back.
    await waitFor(
      async () => {
        await lambda.killEnvironments("poller");
        return lambda.stats("poller").asyncDropped >= droppedBefore + sharedLoops;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 50,
        description: "every shared loop's event given up after Lambda's retries",
      },
    );
    // The killed invocation's long polls stay open on the SQS side until their wait ends, and SQS
    // hands a message to any open long poll, a dead one too: such a message waits out the queue's
    // visibility timeout (on AWS as here; no loop ever saw it). What is measured is how long the
    // members go unpolled, so the messages are sent once those polls are over.
    const pollsOverAt = Date.now() + (waitTimeSec + 1) * 1000;
    await waitFor(() => Date.now() >= pollsOverAt, {
      timeoutMs: (waitTimeSec + 2) * 1000,
      description: "the killed invocation's long polls over",
    });
    const sample = ["quiet-1", "quiet-20", "quiet-37"];
    const sent = await Promise.all(
      sample.map(async (name) => ({
        at: Date.now(),
        id: (await platform.send(name, [{ afterKill: name }]))[0]!,
      })),
    );
    // Every member is polled again, the sample's messages handled (a deadline, not a speed bound).
    await waitFor(
      async () => {
        const found = await platform.processed(sent.map((s) => s.id));
        return found.size === sent.length ? found : undefined;
      },
      { timeoutMs: 60_000, description: "messages handled after the kill" },
    );
    // Unpolled at most staleAfterSec + one restart interval after the last heartbeat, read off the
    // functions' own logs so a loaded machine's slow cold starts do not count: restart claimed the
    // group in its first run that began after the lease went stale, and not in one before.
    const lines = functionLines(platform.logs, "restart", killedAt - staleAfterSec * 1000);
    const claimLine = lines.find(
      (l) => l.fields.message === "restart: claimed a stale shared group and started its loop",
    );
    expect(claimLine, "restart claimed the group").toBeDefined();
    const claim = claimLine!.fields;
    const staleAt = Number(claim.lastUsed) + staleAfterSec * 1000;
    // Never before the lease went stale: restart does not take over a live loop.
    expect(claimLine!.at).toBeGreaterThanOrEqual(staleAt);
    const runs = lines
      .filter((l) => String(l.fields.message).startsWith("restart: done"))
      .map((l) => ({ requestId: l.fields.requestId, startedAt: l.at - Number(l.fields.elapsedMs) }));
    const claimRun = runs.find((r) => r.requestId === claim.requestId);
    expect(claimRun, "the claiming run's summary").toBeDefined();
    const missed = runs.filter((r) => r.startedAt > staleAt && r.startedAt < claimRun!.startedAt);
    expect(missed, "restart runs that began after the lease went stale without claiming it").toEqual([]);
  }, 120_000);
});
