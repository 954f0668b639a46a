import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/**
 * A real backlog drives both kinds of scaling in one run: `backlog-alarm` follows its three alarm
 * tiers (evaluated by the local CloudWatch from the queue's real depth, one metric minute = 3 s),
 * `backlog-depth` follows its depth through restart's reconcile (every second). What each mode
 * does is asserted (up to maxLoops while the backlog stands, back to minLoops once it is gone,
 * never outside minLoops..maxLoops); which reacts faster is `pnpm bench --only reaction`.
 */
const backlog = 400;
const maxLoops = 4;
/** Visible messages per loop in both modes: the backlog asks for 8 loops, twice maxLoops. */
const step = backlog / 8;

// One batch of ten in flight per loop, each taking 2 s: one loop drains 5 messages/s and four 20/s,
// so the backlog stands above every tier for well over ten seconds while the loops climb.
const registry = testRegistry({
  functions: {
    slowBatch: {
      handler: "test/fixtures/functions/slowBatch.handler",
      timeoutSec: 5,
      environment: { SLEEP_MS: "2000" },
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
const names = ["backlog-alarm", "backlog-depth"] as const;
type Name = (typeof names)[number];

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform(registry);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

/** One look at a queue: its messages (visible and in flight) and its loops. */
interface Sample {
  t: number;
  messages: number;
  loops: number;
}

describe(`a ${backlog}-message backlog on each queue`, () => {
  it("takes alarm mode and depth mode each to maxLoops, and each back to minLoops once drained", async () => {
    await waitFor(
      async () => {
        for (const n of names) if ((await platform.tokens(platform.queueUrl(n))).length !== 1) return false;
        return true;
      },
      { timeoutMs: 20_000, description: "one loop per queue before the backlog" },
    );

    const start = Date.now();
    const samples: Record<Name, Sample[]> = { "backlog-alarm": [], "backlog-depth": [] };
    const look = async (name: Name): Promise<Sample> => {
      const url = platform.queueUrl(name);
      const [depth, tokens] = await Promise.all([platform.depth(url), platform.tokens(url)]);
      const sample = {
        t: Date.now() - start,
        messages: depth.visible + depth.inFlight,
        loops: tokens.length,
      };
      samples[name].push(sample);
      return sample;
    };
    /** The loop counts seen so far, for a failure's message. */
    const history = () =>
      names
        .map((n) => `${n}: ${samples[n].map((s) => `${s.t}ms ${s.messages}/${s.loops}`).join(" ")}`)
        .join("\n");

    // A first look before the backlog: the loop counts start at minLoops.
    for (const n of names) await look(n);
    const body = { payload: "x".repeat(64) };
    await Promise.all(
      names.map((n) =>
        platform.send(
          n,
          Array.from({ length: backlog }, () => body),
        ),
      ),
    );

    // Both queues are watched together: one mode may climb and fall again while the other climbs.
    const reached = new Set<Name>();
    await waitFor(
      async () => {
        for (const n of names) if ((await look(n)).loops === maxLoops) reached.add(n);
        return reached.size === names.length;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 500,
        description: `both queues at maxLoops (${maxLoops}) while their backlog stands`,
      },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${history()}`);
    });
    const settled = new Set<Name>();
    await waitFor(
      async () => {
        for (const n of names) {
          const s = await look(n);
          if (s.messages === 0 && s.loops === 1) settled.add(n);
        }
        return settled.size === names.length;
      },
      { timeoutMs: 180_000, intervalMs: 500, description: "both queues drained and back to minLoops (1)" },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${history()}`);
    });

    for (const name of names) {
      for (const s of samples[name]) {
        expect(s.loops, `${name} at ${s.t} ms`).toBeLessThanOrEqual(maxLoops);
        expect(s.loops, `${name} at ${s.t} ms`).toBeGreaterThanOrEqual(1);
      }
    }
    // Depth mode follows the backlog without flapping: its loop count rises, then falls, one turn only.
    const directions: number[] = [];
    const depthSamples = samples["backlog-depth"];
    for (const [i, s] of depthSamples.entries()) {
      const turn = Math.sign(s.loops - (depthSamples[i - 1]?.loops ?? s.loops));
      if (turn !== 0 && turn !== directions.at(-1)) directions.push(turn);
    }
    expect(directions, `depth-mode loop count rises, then falls\n${history()}`).toEqual([1, -1]);
  }, 360_000);
});
