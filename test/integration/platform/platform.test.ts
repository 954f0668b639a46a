import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { deployLocal, runDev } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

const registry = testRegistry({
  routes: [
    {
      queue: { name: "alpha", visibilityTimeoutSec: 3, maxReceiveCount: 4 },
      function: "record",
      minLoops: 2,
      maxLoops: 3,
    },
    { queue: { name: "beta", visibilityTimeoutSec: 3 }, function: "powertoolsRecord" },
    { queue: { name: "gamma.fifo", visibilityTimeoutSec: 3 }, function: "middyRecord" },
  ],
});

describe("local deploy of a registry", () => {
  let platform: TestPlatform;
  let alphaIds: string[] = [];
  beforeAll(async () => {
    platform = await startTestPlatform(registry);
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("creates each routed queue with a DLQ and a redrive policy (FIFO queues get a FIFO DLQ)", async () => {
    const { sqs } = platform.deployment.clients;
    const attributesOf = async (url: string) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] })))
        .Attributes ?? {};
    const alpha = await attributesOf(platform.queueUrl("alpha"));
    const alphaDlq = await attributesOf(platform.dlqUrl("alpha"));
    expect(alpha.VisibilityTimeout).toBe("3");
    expect(JSON.parse(alpha.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: alphaDlq.QueueArn,
      maxReceiveCount: 4,
    });
    expect(platform.dlqUrl("alpha")).toMatch(/\/alpha-dlq$/);
    expect(platform.dlqUrl("gamma.fifo")).toMatch(/\/gamma-dlq\.fifo$/);
    const gamma = await attributesOf(platform.queueUrl("gamma.fifo"));
    expect(gamma.FifoQueue).toBe("true");
    expect(JSON.parse(gamma.RedrivePolicy ?? "{}").maxReceiveCount).toBe(5);
  });

  it("writes one route per registry route into the route store, naming the local function", async () => {
    const routes = await platform.deployment.routesStore.list();
    expect(routes.map((r) => [r.queueName, r.functionName, r.source, r.queueUrl]).sort()).toEqual(
      [
        ["alpha", "record", "deploy", platform.queueUrl("alpha")],
        ["beta", "powertoolsRecord", "deploy", platform.queueUrl("beta")],
        ["gamma.fifo", "middyRecord", "deploy", platform.queueUrl("gamma.fifo")],
      ].sort(),
    );
  });

  it("registers the handlers outside the recursion exemption and the poller with RecursiveLoop Allow", () => {
    const byName = new Map(platform.cloud.lambda.list().map((f) => [f.name, f]));
    expect(byName.get("poller")?.recursiveLoop).toBe("Allow");
    expect(byName.get("poller")?.timeoutSec).toBe(10);
    expect(byName.get("restart")?.recursiveLoop).toBe("Terminate");
    for (const name of ["record", "powertoolsRecord", "middyRecord", "noop"]) {
      expect(byName.get(name)?.recursiveLoop).toBe("Terminate");
      expect(byName.get(name)?.environment?.PROCESSED_TABLE).toBe("processed");
    }
    expect(byName.get("poller")?.environment).toMatchObject({
      TOKENS_TABLE: "tokens",
      ROUTE_STORE: "ssm",
      ROUTES_PATH: "/itest/local/routes/",
      POLLER_FUNCTION_NAME: "poller",
      POLLER_WAIT_TIME_SEC: "1",
      POLLER_MARGIN_SEC: "1",
      POLLER_RENEW_EVERY_SEC: "1",
      ROUTE_CACHE_TTL_SEC: "1",
      MAX_HANDLER_TIMEOUT_SEC: "2",
      RESTART_STALE_AFTER_SEC: "8",
      RESTART_START_GRACE_SEC: "8",
    });
  });

  it("starts minLoops loops per route through the schedule's first reconcile", async () => {
    for (const [queue, loops] of [
      ["alpha", 2],
      ["beta", 1],
      ["gamma.fifo", 1],
    ] as const) {
      await waitFor(
        async () => {
          const tokens = await platform.tokens(platform.queueUrl(queue));
          return tokens.length === loops && tokens.every((t) => t.lastUsed !== undefined);
        },
        { timeoutMs: 30_000, description: `${loops} heartbeating loop(s) on ${queue}` },
      );
    }
  });

  it("isolates routes: three queues at once, each handler sees only its own queue's messages", async () => {
    const sent = {
      alpha: await platform.send(
        "alpha",
        Array.from({ length: 30 }, (_, n) => ({ to: "alpha", n })),
      ),
      beta: await platform.send(
        "beta",
        Array.from({ length: 30 }, (_, n) => ({ to: "beta", n })),
      ),
      "gamma.fifo": await platform.send(
        "gamma.fifo",
        Array.from({ length: 30 }, (_, n) => ({ to: "gamma.fifo", n })),
      ),
    };
    alphaIds = sent.alpha;
    const expected = { alpha: "record", beta: "powertoolsRecord", "gamma.fifo": "middyRecord" } as const;
    for (const [queue, ids] of Object.entries(sent) as [keyof typeof expected, string[]][]) {
      const items = await waitFor(
        async () => {
          const found = await platform.processed(ids);
          return found.size === ids.length ? found : undefined;
        },
        { timeoutMs: 45_000, description: `all 30 messages of ${queue} recorded` },
      );
      for (const item of items.values()) {
        expect(item.queue).toBe(queue);
        expect(JSON.parse(item.body).to).toBe(queue);
        expect(item.handledBy).toBe(expected[queue]);
      }
    }
  });

  it("is idempotent: a redeploy keeps queues, their messages, processed data and run-time route edits", async () => {
    const store = platform.deployment.routesStore;
    const beta = (await store.get("beta"))!;
    const pausedAt = Date.now();
    await store.put({ ...beta, paused: true, source: "edit", updatedAt: pausedAt });
    // Paused: nothing drains beta, so this message must survive the redeploy.
    await waitFor(async () => (await platform.depth(platform.queueUrl("beta"))).inFlight === 0, {
      timeoutMs: 15_000,
      description: "beta idle",
    });
    // A loop may act on its cached (unpaused) route until the cache expires and its last receive ends:
    // after that, a probe message must stay visible. Probes a loop still takes are replaced until then.
    const env = platform.deployment.platformEnvironment;
    const staleRouteMs = (Number(env["ROUTE_CACHE_TTL_SEC"]) + Number(env["POLLER_WAIT_TIME_SEC"])) * 1000;
    expect(staleRouteMs).toBeGreaterThan(0);
    let probeSent = false;
    await waitFor(
      async () => {
        // Only `visible` counts: fauxqs leaves the not-visible count stale until the next receive.
        const { visible } = await platform.depth(platform.queueUrl("beta"));
        if (probeSent && visible === 0) probeSent = false; // a loop still received: the pause not seen yet
        if (!probeSent) {
          await platform.send("beta", [{ probe: true }]);
          probeSent = true;
          return false;
        }
        return Date.now() > pausedAt + staleRouteMs && visible > 0;
      },
      { timeoutMs: 15_000, intervalMs: 100, description: "beta's loops to stop receiving once paused" },
    );
    const [kept] = await platform.send("beta", [{ keep: true }]);
    const processedBefore = await platform.processed([kept!]);

    const again = await deployLocal(platform.cloud, registry, { scheduler: false });
    try {
      expect(again.queues.map((q) => q.url)).toEqual(platform.deployment.queues.map((q) => q.url));
      expect(again.report.join("\n")).toMatch(/route beta: kept the run-time edit/);
      expect((await store.get("beta"))?.paused).toBe(true);
      const { Messages = [] } = await again.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: platform.queueUrl("beta"),
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      expect(Messages.map((m) => m.MessageId)).toContain(kept);
      expect(processedBefore.size).toBe(0);
      expect((await platform.processed(alphaIds)).size).toBe(alphaIds.length);
    } finally {
      await again.stop();
    }
  });
});

describe("pnpm dev", () => {
  it("deploys dispatcher.config.ts, prints a status line per queue, and stops cleanly", async () => {
    const chunks: string[] = [];
    const controller = new AbortController();
    let queues: string[] = [];
    const done = runDev({
      port: 0,
      adminApiPort: 0,
      demo: false,
      enforceIam: true,
      signal: controller.signal,
      logFile: ".dispatcher/test-dev.log",
      out: { write: (chunk: string) => chunks.push(chunk), isTTY: false },
      onReady: ({ deployment }) => {
        queues = deployment.queues.map((q) => q.name);
      },
    });
    try {
      await waitFor(() => chunks.join("").includes("proc/s"), {
        // Includes a first synthesis of the stack's role policies, when they are not cached yet.
        timeoutMs: 120_000,
        description: "a status board",
      });
      const board = chunks.join("");
      for (const name of ["orders", "payments.fifo", "audit"]) {
        expect(queues).toContain(name);
        expect(board).toMatch(new RegExp(`\\n${name.replace(".", "\\.")}\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+`));
      }
    } finally {
      controller.abort();
      await done;
    }
    expect(chunks.join("")).toMatch(/Admin API: http:\/\/127\.0\.0\.1:\d+\/queues/);
    expect(chunks.join("")).toMatch(/Stopped; port \d+ is free/);
    // Enforced, and nothing the platform did was denied.
    expect(chunks.join("")).toMatch(/IAM: 0 denied authorization\(s\)/);
  }, 180_000);
});
