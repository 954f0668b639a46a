/**
 * The CLI's AWS mode (`--stage`, the SDK's standard chain, `AWS_ENDPOINT_URL`) against moto, with a
 * stage's resources created as the stack names them and its routes written by the stack's route sync.
 * The CLI runs in process: the SDK reads `AWS_ENDPOINT_URL`, the region and the credentials from
 * `process.env`, which this file sets for its own worker and restores after.
 *
 * Not covered here, for lack of moto support: `dlq redrive/status/cancel` (no message move tasks; see
 * test/integration/platform/dlq.test.ts), the account's Lambda concurrency in `status` (no GetAccountSettings:
 * status then shows the demand without headroom, checked below), and what a started loop does (moto
 * accepts the poller's async invoke but runs nothing without Docker; test/integration covers loops).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { runCli } from "@sqs-dispatcher/cli";
import { deadLetterQueueName, tierAlarmName } from "@sqs-dispatcher/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../integration/support/waitFor.js";
import registry from "./motoRegistry.js";
import { type MotoServer, startMoto } from "./support/motoServer.js";
import { deployStageToMoto, type MotoClients, type MotoStage, motoClients } from "./support/motoStage.js";

const config = "test/moto/motoRegistry.ts";
let moto: MotoServer;
let clients: MotoClients;
let dev: MotoStage;
let dyn: MotoStage;
const savedEnv = { ...process.env };

/** The variables that could point the SDK somewhere else than moto (a profile, a config file). */
const isolatingEnv = {
  AWS_CONFIG_FILE: "/nonexistent/aws-config",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
  AWS_EC2_METADATA_DISABLED: "true",
};

beforeAll(async () => {
  moto = await startMoto();
  clients = motoClients(moto);
  for (const key of ["AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "DISPATCHER_STAGE"]) {
    delete process.env[key];
  }
  Object.assign(process.env, moto.awsEnv, isolatingEnv);
  dev = await deployStageToMoto(moto, clients, registry, "dev");
  dyn = await deployStageToMoto(moto, clients, registry, "dyn");
  // Stage dev-alice's alarms start with `mototest-dev-` too, on queues of the same names.
  for (const tier of [1, 2]) {
    await clients.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: tierAlarmName(registry.app, "dev-alice", "orders", tier),
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: "orders" }],
        Statistic: "Maximum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      }),
    );
  }
});

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  clients?.destroy();
  await moto?.stop();
});

async function dispatcher(...argv: string[]) {
  return dispatcherUntil(undefined, { stdout: "", stderr: "" }, ...argv);
}

/**
 * Runs the CLI in process, writing into `out` as it goes; `signal` ends a long-running command
 * (console) as Ctrl-C does.
 */
async function dispatcherUntil(
  signal: AbortSignal | undefined,
  out: { stdout: string; stderr: string },
  ...argv: string[]
) {
  const code = await runCli([...argv, "--config", config], {
    ...(signal ? { signal } : {}),
    stdout: {
      write: (s: string) => {
        out.stdout += s;
      },
    },
    stderr: {
      write: (s: string) => {
        out.stderr += s;
      },
      isTTY: false,
    },
    env: process.env,
  });
  return { code, ...out };
}

describe("the CLI's AWS mode against moto", () => {
  it("lists the routes route sync wrote, with the physical queue URLs and function names", async () => {
    const run = await dispatcher("routes", "list", "--stage", "dev", "--json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const { routes } = JSON.parse(run.stdout) as {
      routes: { queueName: string; queueUrl: string; functionName: string }[];
    };
    expect(routes.map((r) => [r.queueName, r.queueUrl, r.functionName])).toEqual([
      ["orders", moto.queueUrl("orders"), "mototest-dev-record"],
      ["payments.fifo", moto.queueUrl("payments.fifo"), "mototest-dev-record"],
    ]);
  });

  it("edits a route in the stage's SSM parameter, and in the DynamoDB table of a DynamoDB stage", async () => {
    expect((await dispatcher("routes", "set", "orders", "--stage", "dev", "--batch-size", "5")).code).toBe(0);
    const parameter = await clients.ssm.send(new GetParameterCommand({ Name: `${dev.routesPath}orders` }));
    expect(JSON.parse(parameter.Parameter?.Value ?? "{}")).toMatchObject({ batchSize: 5, source: "edit" });

    expect((await dispatcher("routes", "set", "orders", "--stage", "dyn", "--paused")).code).toBe(0);
    expect(await dyn.routes.get("orders")).toMatchObject({ paused: true, source: "edit" });
    expect(await dev.routes.get("orders")).toMatchObject({ paused: false, batchSize: 5 });
    const show = await dispatcher("routes", "show", "orders", "--stage", "dyn", "--json");
    expect(JSON.parse(show.stdout)).toMatchObject({ queueName: "orders", paused: true });
  });

  it("refuses a route too big for SSM with the validation exit code, and stores it on a DynamoDB stage", async () => {
    // Ten patterns of the largest size the schema allows: valid, but over SSM's 8 KB as JSON. moto
    // itself does not check SSM's value limits (the local SSM service does), so this is the CLI's check.
    const file = path.join(await mkdtemp(path.join(tmpdir(), "moto-filters-")), "filters.json");
    const patterns = Array.from({ length: 10 }, (_, i) => ({
      body: { kind: [`${i}-${"x".repeat(4_000)}`] },
    }));
    await writeFile(file, JSON.stringify(patterns));
    const refused = await dispatcher("routes", "set", "orders", "--stage", "dev", "--filters", file);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--filters: the route is [\d,]+ bytes stored, over SSM's 8 KB/);
    expect((await dev.routes.get("orders"))?.filters).toBeUndefined();
    expect((await dispatcher("routes", "set", "orders", "--stage", "dyn", "--filters", file)).code).toBe(0);
    expect((await dyn.routes.get("orders"))?.filters).toHaveLength(10);
  });

  it("sends to a stage's queue", async () => {
    const run = await dispatcher("send", "payments.fifo", "--stage", "dev", "--count", "3", "--batch");
    expect(run.code).toBe(0);
    const attributes = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: moto.queueUrl("payments.fifo"),
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    expect(attributes.Attributes?.["ApproximateNumberOfMessages"]).toBe("3");
  });

  it("scales by writing the stage's tokens and invoking the stage's poller by its physical name", async () => {
    const run = await dispatcher("scale", "orders", "--stage", "dev", "--loops", "2", "--json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      before: number;
      after: number;
      started: string[];
      startFailed: string[];
    };
    expect(report).toMatchObject({ before: 0, after: 2, startFailed: [] });
    expect(report.started).toHaveLength(2);
    expect(await dev.leases.listByQueue(moto.queueUrl("orders"))).toHaveLength(2);
    expect(await dyn.leases.listByQueue(moto.queueUrl("orders"))).toHaveLength(0);
    const down = await dispatcher("scale", "orders", "--stage", "dev", "--loops", "1", "--json");
    expect(JSON.parse(down.stdout)).toMatchObject({ before: 2, after: 1 });
  });

  it("shows a queue's status with only the stage's own alarms, not dev-alice's", async () => {
    const run = await dispatcher("status", "orders", "--stage", "dev", "--json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      queues: { name: string; alarms: { name: string }[]; loops: unknown[] }[];
    };
    const orders = report.queues.find((q) => q.name === "orders");
    expect(orders?.alarms.map((a) => a.name).sort()).toEqual([
      tierAlarmName(registry.app, "dev", "orders", 1),
      tierAlarmName(registry.app, "dev", "orders", 2),
    ]);
    expect(orders?.loops).toHaveLength(1);
    expect(run.stderr).toBe("");
  });

  it("shows every queue of the stage, and the demand without headroom: moto has no GetAccountSettings", async () => {
    const run = await dispatcher("status", "--stage", "dev", "--json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { queues: { name: string }[]; capacity?: unknown };
    expect(report.queues.map((q) => q.name)).toEqual(expect.arrayContaining(["orders", "payments.fifo"]));
    expect(report.capacity).toMatchObject({
      accountConcurrency: null,
      headroom: null,
      loopsNow: 1,
      loopsAtMax: 6,
    });
    expect(run.stderr).toContain("could not read the account's Lambda concurrency");
  });

  it("peeks at and purges a stage's DLQ", async () => {
    const dlqUrl = moto.queueUrl(deadLetterQueueName("orders"));
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: '{"dead":1}' }));
    const peek = await dispatcher("dlq", "peek", "orders", "--stage", "dev", "--json");
    expect(peek.code).toBe(0);
    expect(peek.stdout).toContain('{\\"dead\\":1}');
    const purge = await dispatcher("dlq", "purge", "orders", "--stage", "dev", "--yes");
    expect(purge.code).toBe(0);
    const attributes = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    expect(attributes.Attributes?.["ApproximateNumberOfMessages"]).toBe("0");
  });

  it("serves the console against the stage, naming the region in use", async () => {
    const stop = new AbortController();
    const out = { stdout: "", stderr: "" };
    const running = dispatcherUntil(stop.signal, out, "console", "--stage", "dev", "--port", "0");
    try {
      const loginUrl = await waitFor(() => /Console: (http:\/\/127\.0\.0\.1:\d+\S*)/.exec(out.stdout)?.[1], {
        timeoutMs: 20_000,
        description: `the console's URL (stderr: ${out.stderr})`,
      });
      // Logs in as a browser does: the printed URL's token becomes the session cookie.
      const login = await fetch(loginUrl, { redirect: "manual" });
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      const state = await fetch(`${new URL(loginUrl).origin}/console/api/state`, {
        headers: { "x-dispatcher-console": "1", cookie },
      });
      expect(state.status).toBe(200);
      const body = (await state.json()) as {
        stage: string;
        target: string;
        queues: { name: string; alarms: unknown[] }[];
      };
      expect(body).toMatchObject({ stage: "dev", target: `AWS ${moto.region}` });
      expect(body.queues.find((q) => q.name === "orders")?.alarms).toHaveLength(2);
    } finally {
      stop.abort();
      expect((await running).code).toBe(0);
    }
  });

  it("says how to set the region when none is set", async () => {
    const region = process.env["AWS_REGION"];
    delete process.env["AWS_REGION"];
    try {
      const run = await dispatcher("routes", "list", "--stage", "dev");
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: no AWS region: pass --region REGION or set AWS_REGION/);
    } finally {
      process.env["AWS_REGION"] = region;
    }
  });
});
