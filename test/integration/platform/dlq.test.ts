import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { GetQueueAttributesCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { runCli } from "@sqs-dispatcher/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runDispatcher } from "../support/cliHarness.js";
import { startTestPlatform, type TestPlatform } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";
import registry from "./dlqRegistry.js";

const run = promisify(execFile);
const config = "test/integration/platform/dlqRegistry.ts";
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform(registry);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

const dispatcher = (...argv: string[]): Promise<CliRun> =>
  runDispatcher({ endpoint: platform.cloud.endpoint, config }, argv);

const dlqVisible = async (queue: string) => (await platform.depth(platform.dlqUrl(queue))).visible;

async function arnOf(url: string): Promise<string> {
  const out = await platform.deployment.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  return out.Attributes?.["QueueArn"] ?? "";
}

async function sendTo(url: string, bodies: string[]): Promise<void> {
  await platform.deployment.clients.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })),
    }),
  );
}

/** Deliveries the handlers recorded of messages whose body carries `tag`. */
async function deliveriesTagged(tag: string): Promise<{ handledBy: string; deliveries: number }[]> {
  const out = await platform.deployment.clients.doc.send(
    new ScanCommand({
      TableName: platform.deployment.tables.processed,
      FilterExpression: "contains(body, :tag)",
      ExpressionAttributeValues: { ":tag": tag },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []) as { handledBy: string; deliveries: number }[];
}

describe("dispatcher dlq", () => {
  it("peeks a poison message, redrives it home where it is delivered again, and purges", async () => {
    const tag = randomUUID();
    await platform.send("poison", [{ fail: true, tag }]);
    await waitFor(async () => (await dlqVisible("poison")) === 1, {
      timeoutMs: 30_000,
      description: "the poison message in the DLQ",
    });

    const peek = await dispatcher("dlq", "peek", "poison", "--json");
    expect(peek.stderr).toBe("");
    expect(peek.code).toBe(0);
    const peeked = JSON.parse(peek.stdout) as {
      dlq: string;
      messages: { body: string; receiveCount: number }[];
    };
    expect(peeked.dlq).toBe("poison-dlq");
    expect(peeked.messages).toHaveLength(1);
    expect(JSON.parse(peeked.messages[0]?.body ?? "{}")).toEqual({ fail: true, tag });
    expect(peeked.messages[0]?.receiveCount).toBeGreaterThanOrEqual(1);
    // Visible again at once: a peek hides nothing.
    expect(await dlqVisible("poison")).toBe(1);

    // The fix ships: the route's handler no longer fails the message.
    const set = await dispatcher("routes", "set", "poison", "--function", "accept");
    expect(set.stderr).toBe("");
    const redrive = await dispatcher("dlq", "redrive", "poison", "--json");
    expect(redrive.code).toBe(0);
    const result = JSON.parse(redrive.stdout) as { task: { status: string; moved: number } };
    expect(result.task).toMatchObject({ status: "COMPLETED", moved: 1 });
    expect(redrive.stderr).toContain("poison-dlq: completed — moved 1/1");
    expect(await dlqVisible("poison")).toBe(0);
    const delivered = await waitFor(
      async () => (await deliveriesTagged(tag)).find((d) => d.handledBy === "accept"),
      { timeoutMs: 20_000, description: "the redriven message delivered to 'accept'" },
    );
    expect(delivered.deliveries).toBeGreaterThanOrEqual(1);
    // Succeeded, so deleted: neither queue holds it any more.
    await waitFor(
      async () => {
        const d = await platform.depth(platform.queueUrl("poison"));
        return d.visible === 0 && d.inFlight === 0 && (await dlqVisible("poison")) === 0;
      },
      { timeoutMs: 20_000, description: "the redriven message deleted after it succeeded" },
    );

    const status = await dispatcher("dlq", "status", "poison");
    expect(status.stdout).toMatch(/poison-dlq: 0 visible/);
    expect(status.stdout).toMatch(/COMPLETED\s+1\/1\s+\(sources\)/);

    await sendTo(platform.dlqUrl("poison"), ["a", "b", "c"]);
    const refused = await dispatcher("dlq", "purge", "poison");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    expect(await dlqVisible("poison")).toBe(3);
    const purge = await dispatcher("dlq", "purge", "poison", "--yes");
    expect(purge.code).toBe(0);
    expect(purge.stdout).toBe("poison-dlq: purged\n");
    expect(await dlqVisible("poison")).toBe(0);
  });

  it("keeps one active task per DLQ, holds the rate, and cancels", async () => {
    await sendTo(platform.dlqUrl("spare"), ["1", "2", "3", "4", "5", "6"]);
    const started = await dispatcher("dlq", "redrive", "spare", "--rate", "1", "--no-wait", "--json");
    expect(started.code).toBe(0);
    const second = await dispatcher("dlq", "redrive", "spare");
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("only one active task per queue");
    const cancel = await dispatcher("dlq", "cancel", "spare", "--json");
    expect(cancel.code).toBe(0);
    const { moved } = JSON.parse(cancel.stdout) as { moved: number };
    // One a second: cancelled well before six could have moved.
    expect(moved).toBeLessThan(6);
    const done = await waitFor(
      async () => {
        const out = JSON.parse((await dispatcher("dlq", "status", "spare", "--json")).stdout) as {
          visible: number;
          tasks: { status: string; moved: number }[];
        };
        return out.tasks[0]?.status === "CANCELLED" ? out : undefined;
      },
      { timeoutMs: 10_000, description: "the task cancelled" },
    );
    expect(done.visible + (done.tasks[0]?.moved ?? 0)).toBe(6);
    expect(done.tasks[0]?.moved).toBeLessThan(6);
  });

  it("refuses a queue that has no DLQ and is no DLQ", async () => {
    const out = await dispatcher("dlq", "peek", "poison-dlq-nope");
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("poison-dlq-nope");
  });

  it("prints a dead letter's C1 controls escaped in peek's table (SQS refuses C0 in bodies, not C1)", async () => {
    // CSI "clear screen", OSC "set title", ST, NEL: a terminal may act on each.
    const body = "before\u009b2J\u009d0;owned\u009c\u0085after";
    await sendTo(platform.dlqUrl("poison"), [body]);
    await waitFor(async () => (await dlqVisible("poison")) >= 1, {
      timeoutMs: 10_000,
      description: "the dead letter visible",
    });
    const out = await dispatcher("dlq", "peek", "poison");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("before\\u009b2J\\u009d0;owned\\u009c\\u0085after");
    expect(out.stdout.replace(/\n/g, "")).not.toMatch(/\p{Cc}/u);
  });
});

describe("AWS CLI against the local SQS's message move tasks", () => {
  const env = () => ({
    ...process.env,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: platform.cloud.region,
  });
  const aws = async (...args: string[]) =>
    JSON.parse(
      (
        await run("aws", ["--endpoint-url", platform.cloud.endpoint, "sqs", ...args, "--output", "json"], {
          env: env(),
        })
      ).stdout || "{}",
    ) as Record<string, unknown>;

  it("starts and lists a move task back to the source queue, and refuses a source that is no DLQ", async () => {
    // The route is paused so the moved messages stay countable in the source queue.
    await sendTo(platform.dlqUrl("spare"), ["x", "y"]);
    const dlqArn = await arnOf(platform.dlqUrl("spare"));
    const started = await aws("start-message-move-task", "--source-arn", dlqArn);
    expect(typeof started["TaskHandle"]).toBe("string");
    const listed = await waitFor(
      async () => {
        const out = await aws("list-message-move-tasks", "--source-arn", dlqArn, "--max-results", "10");
        const [latest] = out["Results"] as { Status: string }[];
        return latest?.Status === "COMPLETED" ? out : undefined;
      },
      { timeoutMs: 15_000, description: "the move task completed" },
    );
    const [latest] = listed["Results"] as Record<string, unknown>[];
    expect(latest).toMatchObject({ Status: "COMPLETED", SourceArn: dlqArn });
    expect(latest?.["ApproximateNumberOfMessagesMoved"]).toBeGreaterThanOrEqual(2);
    expect(await dlqVisible("spare")).toBe(0);
    expect((await platform.depth(platform.queueUrl("spare"))).visible).toBeGreaterThanOrEqual(2);

    const notDlq = await arnOf(platform.queueUrl("spare"));
    await expect(aws("start-message-move-task", "--source-arn", notDlq)).rejects.toMatchObject({
      stderr: expect.stringContaining("must be configured as a dead-letter queue"),
    });
  });
});

describe("dispatcher console", () => {
  it("serves the page and its API against the target until stopped, and acts on routes", async () => {
    const stop = new AbortController();
    let stdout = "";
    const exited = runCli(
      ["console", "--port", "0", "--endpoint", platform.cloud.endpoint, "--config", config],
      {
        stdout: {
          write: (s: string) => {
            stdout += s;
          },
        },
        stderr: { write: () => true },
        env: {},
        signal: stop.signal,
      },
    );
    try {
      const loginUrl = await waitFor(
        () => /Console: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43})\s/.exec(stdout)?.[1],
        { timeoutMs: 15_000, description: "the console's URL with its secret" },
      );
      const url = loginUrl.replace(/\?token=.*$/, "");
      // Without the secret: no page, and the bare header (any local process can send it) is refused.
      expect((await fetch(url)).status).toBe(401);
      expect(
        (await fetch(`${url}console/api/state`, { headers: { "x-dispatcher-console": "1" } })).status,
      ).toBe(401);
      // The printed URL sets the session cookie and redirects to the bare page, as a browser follows it.
      const login = await fetch(loginUrl, { redirect: "manual" });
      expect(login.status).toBe(303);
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      const page = await fetch(url, { headers: { cookie } });
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      expect(await page.text()).toContain("/console/uPlot.iife.min.js");
      expect((await fetch(`${url}console/uPlot.iife.min.js`)).status).toBe(200);
      // The session without the console's header (what a cross-site form could send) is refused too.
      expect((await fetch(`${url}console/api/state`, { headers: { cookie } })).status).toBe(401);

      const headers = { "x-dispatcher-console": "1", cookie };
      const state = (await (await fetch(`${url}console/api/state`, { headers })).json()) as {
        queues: { name: string; state: string; dlq: { name: string } | null }[];
      };
      expect(state.queues.find((q) => q.name === "spare")).toMatchObject({
        state: "paused",
        dlq: { name: "spare-dlq" },
      });
      expect(state.queues.some((q) => q.name === "spare-dlq")).toBe(false);

      const paused = await fetch(`${url}console/api/routes/poison/pause`, { method: "POST", headers });
      expect(paused.status).toBe(200);
      const shown = await dispatcher("routes", "show", "poison", "--json");
      expect((JSON.parse(shown.stdout) as { paused: boolean }).paused).toBe(true);
      await fetch(`${url}console/api/routes/poison/resume`, { method: "POST", headers });

      const outOfBounds = await fetch(`${url}console/api/routes/poison/scale`, {
        method: "POST",
        headers,
        body: JSON.stringify({ loops: 99 }),
      });
      expect(outOfBounds.status).toBe(400);
      expect(((await outOfBounds.json()) as { message: string }).message).toContain("within 1-1");
    } finally {
      stop.abort();
    }
    expect(await exited).toBe(0);
  });
});
