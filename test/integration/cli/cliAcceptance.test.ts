import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runDispatcher } from "../support/cliHarness.js";
import { startTestPlatform, type TestPlatform } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";
import registry from "./cliAcceptanceRegistry.js";

const run = promisify(execFile);
let platform: TestPlatform;

/** `pnpm dispatcher ... --local` against the test platform, in process. */
function dispatcher(...argv: string[]): Promise<CliRun> {
  return runDispatcher(
    { endpoint: platform.cloud.endpoint, config: "test/integration/cli/cliAcceptanceRegistry.ts" },
    argv,
  );
}

async function send(queueUrl: string, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 10) {
    const entries = Array.from({ length: Math.min(10, count - i) }, (_, j) => ({
      Id: String(j),
      MessageBody: JSON.stringify({ tag, n: i + j }),
    }));
    const out = await platform.deployment.clients.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
    );
    expect(out.Failed ?? []).toEqual([]);
    ids.push(...(out.Successful ?? []).map((s) => s.MessageId!));
  }
  return ids;
}

beforeAll(async () => {
  platform = await startTestPlatform(registry);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

describe("a queue routed at run time with the CLI", () => {
  let queueUrl: string;

  it("is created with the AWS CLI, routed with routes set, and its messages get recorded", async () => {
    const created = await run(
      "aws",
      [
        "--endpoint-url",
        platform.cloud.endpoint,
        "--output",
        "json",
        "sqs",
        "create-queue",
        "--queue-name",
        "acc-orders",
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: "test",
          AWS_SECRET_ACCESS_KEY: "test",
          AWS_DEFAULT_REGION: "us-east-1",
        },
      },
    );
    queueUrl = JSON.parse(created.stdout).QueueUrl;
    expect(
      (await dispatcher("routes", "set", "acc-orders", "--function", "record", "--max-loops", "2")).code,
    ).toBe(0);
    const ids = await send(queueUrl, 50, "before");
    const processed = await waitFor(
      async () => {
        const found = await platform.processed(ids);
        return found.size === ids.length && found;
      },
      { timeoutMs: 30_000, description: "50 messages recorded" },
    );
    expect([...processed.values()].every((p) => p.handledBy === "record")).toBe(true);
  }, 60_000);

  it("switches to another function within the TTL, with no restart and no message lost", async () => {
    const loopsBefore = (await platform.tokens(queueUrl)).map((t) => t.loopId).sort();
    const first = await send(queueUrl, 40, "around");
    expect((await dispatcher("routes", "set", "acc-orders", "--function", "powertoolsRecord")).code).toBe(0);
    const switchedAt = Date.now();
    // A loop may use its cached route for one TTL, and a batch it received just before the cache
    // expired is handled by the old function within one poller cycle (long-poll wait + handler
    // timeout + margin); the poller's margin again is the slack. From the deployed settings, not a guess.
    const env = platform.deployment.platformEnvironment;
    const seconds = (name: string) => {
      const value = Number(env[name]);
      expect(Number.isInteger(value), `${name} in the platform environment`).toBe(true);
      return value;
    };
    const ttlSec = seconds("ROUTE_CACHE_TTL_SEC");
    const cycleSec =
      seconds("POLLER_WAIT_TIME_SEC") + seconds("MAX_HANDLER_TIMEOUT_SEC") + seconds("POLLER_MARGIN_SEC");
    const switchBoundMs = (ttlSec + cycleSec + seconds("POLLER_MARGIN_SEC")) * 1000;
    const second = await send(queueUrl, 40, "around");
    // Probe batches until one is handled by the new function: a probe sent past the bound must be.
    const after: string[] = [];
    for (;;) {
      const probeSentAt = Date.now();
      const probe = await send(queueUrl, 10, "after");
      after.push(...probe);
      const found = await waitFor(
        async () => {
          const items = await platform.processed(probe);
          return items.size === probe.length && items;
        },
        { timeoutMs: 20_000, description: "a probe batch recorded" },
      );
      if ([...found.values()].every((p) => p.handledBy === "powertoolsRecord")) break;
      expect(
        probeSentAt,
        `a batch sent ${switchBoundMs} ms (TTL + one poller cycle + margin) after the switch still reached the old function`,
      ).toBeLessThan(switchedAt + switchBoundMs);
    }
    const all = [...first, ...second, ...after];
    const processed = await waitFor(
      async () => {
        const found = await platform.processed(all);
        return found.size === all.length && found;
      },
      { timeoutMs: 30_000, description: "every message sent around the switch recorded" },
    );
    // Measured where it happens: no message was handled by the old function past the bound.
    const lateOld = [...processed.values()].filter(
      (p) => p.lastAt > switchedAt + switchBoundMs && p.handledBy !== "powertoolsRecord",
    );
    expect(
      lateOld.map((p) => ({ id: p.messageId, by: p.handledBy, msAfterSwitch: p.lastAt - switchedAt })),
    ).toEqual([]);
    expect(processed.size).toBe(all.length);
    // The same loops kept running: the switch needed no restart.
    const loopsAfter = (await platform.tokens(queueUrl)).map((t) => t.loopId).sort();
    expect(loopsAfter.filter((id) => loopsBefore.includes(id)).length).toBeGreaterThan(0);
  }, 90_000);

  it("routes rm deletes the tokens and leaves the messages in the queue", async () => {
    await waitFor(
      async () =>
        (await platform.depth(queueUrl)).visible === 0 && (await platform.depth(queueUrl)).inFlight === 0,
      {
        timeoutMs: 20_000,
        description: "queue drained",
      },
    );
    const rm = await dispatcher("routes", "rm", "acc-orders");
    expect(rm.code).toBe(0);
    expect(await platform.tokens(queueUrl)).toEqual([]);
    // Every loop ends at its next heartbeat; messages sent once none runs must stay in the queue.
    await waitFor(
      () => {
        const stats = platform.cloud.lambda.stats("poller");
        return stats.busy === 0 && stats.asyncPending === 0;
      },
      { timeoutMs: 20_000, description: "no poller running" },
    );
    await send(queueUrl, 20, "after-rm");
    // Restart runs every second in this registry: two runs later it has still started no loop for the queue.
    await platform.restartNow();
    await platform.restartNow();
    expect(await platform.tokens(queueUrl)).toEqual([]);
    await waitFor(async () => (await platform.depth(queueUrl)).visible === 20, {
      timeoutMs: 10_000,
      description: "the 20 messages visible in the queue",
    });
  }, 60_000);
});
