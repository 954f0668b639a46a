import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "./support/testPlatform.js";
import { waitFor } from "./support/waitFor.js";

/**
 * A real backlog drives both kinds of scaling in one run: `backlog-alarm` follows its three alarm
 * tiers (evaluated by the local CloudWatch from the queue's real depth, one metric minute = 3 s),
 * `backlog-depth` follows its depth through restart's reconcile (every second). The time series
 * of depth and loops is written to `.dispatcher/scaling-backlog.csv`.
 * BACKLOG_MESSAGES overrides the size (default 20,000 per queue).
 */
const backlog = Number(process.env["BACKLOG_MESSAGES"] ?? 20_000);
const maxLoops = 4;
/** Visible messages per loop in both modes. */
const step = Math.ceil(backlog / 8);
const csvPath = path.resolve(".dispatcher/scaling-backlog.csv");

// One batch in flight per loop: the test is about how the loop count follows the backlog, and four
// batches per loop would drain it before depth mode's ladder is climbed on a fast machine.
const registry = testRegistry({
  functions: {
    slowBatch: {
      handler: "test/fixtures/functions/slowBatch.handler",
      timeoutSec: 5,
      environment: { SLEEP_MS: "40" },
    },
  },
  routes: [
    {
      queue: { name: "backlog-alarm", visibilityTimeoutSec: 10 },
      function: "slowBatch",
      concurrency: 1,
      minLoops: 1,
      maxLoops,
      scaleStep: 1,
      // The same ladder as depth mode's: 2 loops from `step` visible messages, 3 from 2×, 4 from 3×.
      alarms: [{ threshold: step }, { threshold: 2 * step }, { threshold: 3 * step }],
    },
    {
      queue: { name: "backlog-depth", visibilityTimeoutSec: 10 },
      function: "slowBatch",
      concurrency: 1,
      minLoops: 1,
      maxLoops,
      scaling: { mode: "depth", targetPerLoop: step, scaleInCooldownSec: 3 },
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

interface Sample {
  t: number;
  alarmVisible: number;
  alarmInFlight: number;
  alarmLoops: number;
  depthVisible: number;
  depthInFlight: number;
  depthLoops: number;
}

describe("a 20,000-message backlog", () => {
  it("drives loops to maxLoops and back to minLoops, depth mode faster than alarm mode", async () => {
    const names = ["backlog-alarm", "backlog-depth"] as const;
    await waitFor(
      async () => {
        for (const n of names) if ((await platform.tokens(platform.queueUrl(n))).length !== 1) return false;
        return true;
      },
      { timeoutMs: 20_000, description: "one loop per queue before the backlog" },
    );

    // Time runs from the start of the send: loops react while the backlog is still arriving.
    const start = Date.now();

    const samples: Sample[] = [];
    let alarmReachedAt: number | undefined;
    let depthReachedAt: number | undefined;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [a, d, al, dl] = await Promise.all([
          platform.depth(platform.queueUrl("backlog-alarm")),
          platform.depth(platform.queueUrl("backlog-depth")),
          platform.tokens(platform.queueUrl("backlog-alarm")),
          platform.tokens(platform.queueUrl("backlog-depth")),
        ]);
        // When a queue first holds maxLoops tokens, the newest token's creation time is the moment it
        // reached them (to the millisecond, not the sampler's half second).
        if (alarmReachedAt === undefined && al.length === maxLoops) {
          alarmReachedAt = Math.max(...al.map((t) => t.createdAt)) - start;
        }
        if (depthReachedAt === undefined && dl.length === maxLoops) {
          depthReachedAt = Math.max(...dl.map((t) => t.createdAt)) - start;
        }
        samples.push({
          t: Date.now() - start,
          alarmVisible: a.visible,
          alarmInFlight: a.inFlight,
          alarmLoops: al.length,
          depthVisible: d.visible,
          depthInFlight: d.inFlight,
          depthLoops: dl.length,
        });
        await new Promise((r) => setTimeout(r, 500));
      }
    })();

    try {
      const body = { payload: "x".repeat(64) };
      await Promise.all(
        names.map((n) =>
          platform.send(
            n,
            Array.from({ length: backlog }, () => body),
          ),
        ),
      );
      // Both queues drained and both back to minLoops.
      await waitFor(
        () => {
          const last = samples.at(-1);
          return (
            last !== undefined &&
            last.alarmVisible + last.alarmInFlight + last.depthVisible + last.depthInFlight === 0 &&
            last.alarmLoops === 1 &&
            last.depthLoops === 1
          );
        },
        { timeoutMs: 300_000, intervalMs: 500, description: "both queues drained and back to one loop" },
      );
    } finally {
      sampling = false;
      await sampler;
      await mkdir(path.dirname(csvPath), { recursive: true });
      await writeFile(
        csvPath,
        [
          "t_ms,alarm_visible,alarm_in_flight,alarm_loops,depth_visible,depth_in_flight,depth_loops",
          ...samples.map((s) =>
            [
              s.t,
              s.alarmVisible,
              s.alarmInFlight,
              s.alarmLoops,
              s.depthVisible,
              s.depthInFlight,
              s.depthLoops,
            ].join(","),
          ),
        ].join("\n") + "\n",
      );
    }

    expect(alarmReachedAt, "alarm mode reached maxLoops").toBeDefined();
    expect(depthReachedAt, "depth mode reached maxLoops").toBeDefined();
    expect(depthReachedAt!).toBeLessThan(alarmReachedAt!);
    for (const s of samples) {
      expect(s.alarmLoops).toBeLessThanOrEqual(maxLoops);
      expect(s.depthLoops).toBeLessThanOrEqual(maxLoops);
      expect(s.alarmLoops).toBeGreaterThanOrEqual(1);
      expect(s.depthLoops).toBeGreaterThanOrEqual(1);
    }
    // Depth mode must not flap: its loop count rises to the backlog and falls with it, one turn only.
    const directions: number[] = [];
    for (const [i, s] of samples.entries()) {
      const step = Math.sign(s.depthLoops - (samples[i - 1]?.depthLoops ?? s.depthLoops));
      if (step !== 0 && step !== directions.at(-1)) directions.push(step);
    }
    expect(directions, "depth-mode loop count: rises, then falls").toEqual([1, -1]);
  }, 420_000);
});
