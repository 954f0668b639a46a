import { execFile, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { runDev } from "@sqs-dispatcher/local";
import { describe, expect, it } from "vitest";
import { runDispatcher } from "../support/cliHarness.js";
import { waitFor } from "../support/waitFor.js";

const run = promisify(execFile);

/** A port nothing listens on right now (the kernel's pick, released at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something can listen on `port` again: the process released it. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

describe("pnpm dev as a process", () => {
  it("starts, prints the status board, and on SIGINT exits 0 and frees its edge port", async () => {
    const port = await freePort();
    // node + tsx's loader rather than the tsx binary, so SIGINT reaches the dev process itself.
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join("packages", "cli", "src", "main.ts"),
        "dev",
        "--no-demo",
        // The stack's IAM, as in every test that runs the platform's functions.
        "--enforce-iam",
        "--reset-routes",
        "--port",
        String(port),
        "--admin-port",
        "0",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      // A first start of the registry synthesizes the stack's role policies (cached afterwards).
      await waitFor(() => stdout.includes("proc/s"), {
        timeoutMs: 90_000,
        intervalMs: 100,
        description: `the status board (stdout so far: ${stdout.slice(-500)} stderr: ${stderr.slice(-500)})`,
      });
      expect(stdout).toContain(`127.0.0.1:${port}`);
      expect(stdout).toMatch(/Admin API: http:\/\/127\.0\.0\.1:\d+\/queues/);
      expect(await isFree(port)).toBe(false);

      // Issue 5's day-to-day path against the running platform: a queue made with the AWS CLI,
      // routed with the dispatcher CLI, gets its messages recorded.
      const endpoint = `http://127.0.0.1:${port}`;
      const scratch = await mkdtemp(path.join(tmpdir(), "dev-aws-"));
      const { stdout: created } = await run(
        "aws",
        ["--endpoint-url", endpoint, "--output", "json", "sqs", "create-queue", "--queue-name", "invoices"],
        {
          env: {
            PATH: process.env.PATH ?? "",
            HOME: scratch,
            AWS_ACCESS_KEY_ID: "test",
            AWS_SECRET_ACCESS_KEY: "test",
            AWS_DEFAULT_REGION: "us-east-1",
            AWS_CONFIG_FILE: path.join(scratch, "config"),
            AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, "credentials"),
          },
          timeout: 60_000,
        },
      );
      const queueUrl = (JSON.parse(created) as { QueueUrl: string }).QueueUrl;
      // The CLI reads the same registry as `pnpm dev` (dispatcher.config.ts), so it finds the same route store.
      const dispatcher = (...argv: string[]) =>
        runDispatcher({ endpoint, config: "dispatcher.config.ts" }, argv);
      const routed = await dispatcher("routes", "set", "invoices", "--function", "record");
      expect(routed.code, routed.stderr).toBe(0);
      const sent = await dispatcher("send", "invoices", "--count", "20", "--batch");
      expect(sent.code, sent.stderr).toBe(0);
      const sqs = new SQSClient({
        endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      try {
        await waitFor(
          async () => {
            const { Attributes = {} } = await sqs.send(
              new GetQueueAttributesCommand({
                QueueUrl: queueUrl,
                AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
              }),
            );
            const status = await dispatcher("status", "invoices", "--json");
            const queue = (
              JSON.parse(status.stdout) as {
                queues: { loops: unknown[]; shared: { loop: { loopId: string } | null } | null }[];
              }
            ).queues[0];
            // A route set without --min-loops is quiet (minLoops 0): a shared loop polls it.
            return (
              Attributes.ApproximateNumberOfMessages === "0" &&
              Attributes.ApproximateNumberOfMessagesNotVisible === "0" &&
              ((queue?.loops.length ?? 0) >= 1 || queue?.shared?.loop?.loopId !== undefined)
            );
          },
          {
            timeoutMs: 30_000,
            intervalMs: 500,
            description: "invoices drained by a loop of its new route (dedicated or shared)",
          },
        );
      } finally {
        sqs.destroy();
      }
    } finally {
      child.kill("SIGINT");
    }
    const code = await Promise.race([
      exited,
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 15_000)),
    ]);
    if (code === "timeout") child.kill("SIGKILL");
    expect(code, `exit code (stderr: ${stderr.slice(-500)})`).toBe(0);
    expect(stdout).toMatch(new RegExp(`Stopped; port ${port} is free`));
    // Enforced, and nothing the platform did was denied.
    expect(stdout).toMatch(/IAM: 0 denied authorization\(s\)/);
    expect(await isFree(port)).toBe(true);
  }, 150_000);
});

describe("runDev with demo traffic", () => {
  it("reports processed messages and running loops on the status board", async () => {
    const chunks: string[] = [];
    const controller = new AbortController();
    let queues: string[] = [];
    const done = runDev({
      port: 0,
      adminApiPort: 0,
      demo: true,
      enforceIam: true,
      demoBurstSize: 20,
      demoIntervalMs: 1_000,
      statusIntervalMs: 250,
      statusPlainEvery: 1,
      signal: controller.signal,
      logFile: ".dispatcher/test-dev-demo.log",
      out: { write: (chunk: string) => chunks.push(chunk), isTTY: false },
      onReady: ({ deployment }) => {
        queues = deployment.queues.map((q) => q.name);
      },
    });
    try {
      // A board line: name, visible, in flight, dlq, loops, proc/s, fail/s, processed.
      const rate = String.raw`(?:\d+(?:\.\d)?|-)`;
      const line = new RegExp(
        String.raw`^(\S+)\s+\d+\s+\d+\s+(?:\d+|-)\s+(\d+)\s+${rate}\s+${rate}\s+(\d+)\s*$`,
        "gm",
      );
      const busy = await waitFor(
        () => {
          const rows = [...chunks.join("").matchAll(line)].filter((m) => queues.includes(m[1] ?? ""));
          return rows.find((m) => Number(m[2]) > 0 && Number(m[3]) > 0);
        },
        // Includes a first synthesis of the stack's role policies, when they are not cached yet.
        { timeoutMs: 90_000, intervalMs: 100, description: "a queue with loops > 0 and processed > 0" },
      );
      expect(Number(busy[2])).toBeGreaterThan(0);
      expect(Number(busy[3])).toBeGreaterThan(0);
    } finally {
      controller.abort();
      await done;
    }
    expect(chunks.join("")).toMatch(/Stopped; port \d+ is free/);
    expect(chunks.join("")).toMatch(/IAM: 0 denied authorization\(s\)/);
  }, 120_000);
});
