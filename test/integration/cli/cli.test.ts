import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { routeParameterPath } from "@sqs-dispatcher/config";
import { createSsmRouteStore } from "@sqs-dispatcher/core/aws";
import { ensureTable, type LocalCloud, PlatformTables, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliOnTerminal, waitFor } from "../support/cliHarness.js";

let cloud: LocalCloud;
let sqs: SQSClient;
let ssm: SSMClient;
let dynamodb: DynamoDBClient;
let doc: DynamoDBDocumentClient;

/** The routes the CLI tests' registry keeps on the local stage, read behind the CLI's back. */
const storedRoutes = () => createSsmRouteStore({ ssm, path: routeParameterPath("clitest", "local") }).list();

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return out.QueueUrl!;
}

async function depth(queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages);
}

async function tokensOf(queueUrl: string): Promise<string[]> {
  const out = await doc.send(
    new QueryCommand({
      TableName: "tokens",
      KeyConditionExpression: "queueUrl = :q",
      ExpressionAttributeValues: { ":q": queueUrl },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((i) => String(i["token"]));
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const config = {
    endpoint: cloud.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  sqs = new SQSClient(config);
  ssm = new SSMClient(config);
  dynamodb = new DynamoDBClient(config);
  doc = DynamoDBDocumentClient.from(dynamodb);
  // The platform's tokens table, as a deploy creates it (waiting until ACTIVE); the CLI reads and writes loops there.
  await ensureTable(dynamodb, PlatformTables.tokens);
});

afterAll(async () => {
  for (const client of [sqs, ssm, dynamodb]) client?.destroy();
  await cloud?.stop();
});

describe("dispatcher routes", () => {
  it("sets, lists, shows, edits and removes a route", async () => {
    const url = await createQueue("cli-orders");
    const set = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "cli-orders",
      "--function",
      "record",
      "--max-loops",
      "3",
      "--json",
    );
    expect(set).toMatchObject({ code: 0, stderr: "" });
    const route = JSON.parse(set.stdout);
    expect(route).toMatchObject({
      queueName: "cli-orders",
      queueUrl: url,
      functionName: "record",
      maxLoops: 3,
      minLoops: 1,
      source: "edit",
    });
    expect(route.updatedAt).toBeGreaterThan(0);

    const list = await cli(cloud.endpoint, "routes", "list", "--json");
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).routes.map((r: { queueName: string }) => r.queueName)).toContain(
      "cli-orders",
    );

    const edit = await cli(cloud.endpoint, "routes", "set", "cli-orders", "--batch-size", "4", "--paused");
    expect(edit.code).toBe(0);
    expect(edit.stdout).toMatch(/route cli-orders updated/);
    const show = await cli(cloud.endpoint, "routes", "show", "cli-orders", "--json");
    expect(JSON.parse(show.stdout)).toMatchObject({
      functionName: "record",
      batchSize: 4,
      maxLoops: 3,
      paused: true,
    });

    const text = await cli(cloud.endpoint, "routes", "show", "cli-orders");
    expect(text.stdout).toMatch(/^QUEUE\s+FUNCTION/);
    expect(text.stdout).toMatch(/cli-orders\s+record\s+4\s+4\s+1-3/);

    const rm = await cli(cloud.endpoint, "routes", "rm", "cli-orders");
    expect(rm).toMatchObject({ code: 0 });
    expect((await storedRoutes()).map((r) => r.queueName)).not.toContain("cli-orders");
    const gone = await cli(cloud.endpoint, "routes", "show", "cli-orders");
    expect(gone).toMatchObject({ code: 1, stderr: "error: no route for queue 'cli-orders'\n" });
    expect(await cli(cloud.endpoint, "routes", "rm", "cli-orders")).toMatchObject({ code: 1 });
  });

  it("routes rm deletes the queue's tokens and leaves its messages", async () => {
    const url = await createQueue("cli-rm");
    expect((await cli(cloud.endpoint, "routes", "set", "cli-rm", "--function", "record")).code).toBe(0);
    for (const token of ["a", "b"]) {
      await doc.send(
        new PutCommand({
          TableName: "tokens",
          Item: { queueUrl: url, token, loopId: `l-${token}`, createdAt: 1 },
        }),
      );
    }
    expect((await cli(cloud.endpoint, "send", "cli-rm", "--count", "3")).code).toBe(0);
    const rm = await cli(cloud.endpoint, "routes", "rm", "cli-rm", "--json");
    expect(JSON.parse(rm.stdout)).toEqual({ removed: "cli-rm", stoppedLoops: 2 });
    expect(await tokensOf(url)).toEqual([]);
    expect(await depth(url)).toBe(3);
  });

  it.each([
    [
      ["--function", "nope"],
      "error: --function: function 'nope' does not exist; create it first (aws --endpoint-url <edge> lambda create-function ...)\n",
    ],
    [
      ["--function", "arn:aws:lambda:us-east-1:12345:function:x"],
      "error: --function: 'arn:aws:lambda:us-east-1:12345:function:x' is neither a function of the registry (functions: record, other) nor a Lambda function name or ARN\n",
    ],
    [
      ["--function", "record", "--min-loops", "3", "--max-loops", "2"],
      "error: --min-loops: minLoops (3) must not exceed maxLoops (2)\n",
    ],
    [
      ["--function", "record", "--batch-size", "11"],
      "error: --batch-window: a batchSize above 10 (11) needs a batching window: set batchWindowSec to at least 1\n",
    ],
    [
      ["--function", "record", "--batch-size", "ten"],
      "error: --batch-size: must be a whole number between 1 and 10000\n",
    ],
    [
      ["--function", "record", "--concurrency", "11"],
      "error: --concurrency: must be a whole number between 1 and 10\n",
    ],
    [
      ["--function", "record", "--scale-step", "0"],
      "error: --scale-step: must be a whole number at least 1\n",
    ],
    [[], "error: --function: required for queue 'cli-refused', which has no route yet\n"],
  ])("refuses routes set %j with the schema's message and writes nothing", async (flags, message) => {
    await createQueue("cli-refused");
    const run = await cli(cloud.endpoint, "routes", "set", "cli-refused", ...flags);
    expect(run).toMatchObject({ code: 2, stdout: "", stderr: message });
    expect((await storedRoutes()).map((r) => r.queueName)).not.toContain("cli-refused");
  });

  it("refuses a bad queue name and an unknown option with exit code 2", async () => {
    const badName = await cli(cloud.endpoint, "routes", "set", "bad/name", "--function", "record");
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/^error: <queue>: must be 1-80 characters/);
    const unknown = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "cli-refused",
      "--function",
      "record",
      "--colour",
      "blue",
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/error: unknown option '--colour'/);
    expect((await storedRoutes()).map((r) => r.queueName)).not.toContain("cli-refused");
  });

  it("refuses, as the registry schema does, a queue whose visibility timeout is shorter than the function's timeout", async () => {
    // cliRegistry's functions time out after 10 s.
    await createQueue("cli-short-visibility", { VisibilityTimeout: "5" });
    const refused = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "cli-short-visibility",
      "--function",
      "record",
    );
    expect(refused).toMatchObject({
      code: 2,
      stdout: "",
      stderr:
        "error: <queue>: queue visibility timeout (5s) must be at least the timeout of function 'record' (10s), as Lambda requires\n",
    });
    expect((await storedRoutes()).map((r) => r.queueName)).not.toContain("cli-short-visibility");
    // Equal is enough, as in the schema.
    await createQueue("cli-equal-visibility", { VisibilityTimeout: "10" });
    const accepted = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "cli-equal-visibility",
      "--function",
      "record",
    );
    expect(accepted.code).toBe(0);
    expect((await storedRoutes()).map((r) => r.queueName)).toContain("cli-equal-visibility");
    // An edit that names no function still checks the route's function against the queue.
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: (await storedRoutes()).find((r) => r.queueName === "cli-equal-visibility")!.queueUrl,
        Attributes: { VisibilityTimeout: "9" },
      }),
    );
    const edit = await cli(cloud.endpoint, "routes", "set", "cli-equal-visibility", "--max-loops", "3");
    expect(edit).toMatchObject({
      code: 2,
      stderr:
        "error: <queue>: queue visibility timeout (9s) must be at least the timeout of function 'record' (10s), as Lambda requires\n",
    });
    expect((await storedRoutes()).find((r) => r.queueName === "cli-equal-visibility")?.maxLoops).not.toBe(3);
  });

  it("fails with exit code 1 and writes nothing when the queue does not exist", async () => {
    const run = await cli(cloud.endpoint, "routes", "set", "cli-missing", "--function", "record");
    expect(run).toMatchObject({
      code: 1,
      stderr: "error: queue 'cli-missing' does not exist; create it first\n",
    });
    expect((await storedRoutes()).map((r) => r.queueName)).not.toContain("cli-missing");
  });

  it("prints help with examples on every command", async () => {
    for (const command of [
      [],
      ["routes"],
      ["routes", "set"],
      ["status"],
      ["scale"],
      ["send"],
      ["dev"],
      ["cloud"],
    ]) {
      const run = await cli(cloud.endpoint, ...command, "--help");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Examples:\n {2}\$ pnpm/);
    }
  });
});

describe("the dispatcher process", () => {
  it("exits with the code runCli returns and prints errors on stderr", async () => {
    const failure = await promisify(execFile)(
      "node_modules/.bin/tsx",
      [
        "packages/cli/src/main.ts",
        "routes",
        "set",
        "cli-x",
        "--function",
        "record",
        "--batch-size",
        "10001",
        "--local",
      ],
      { env: { ...process.env, NODE_OPTIONS: "" } },
    ).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "error: --batch-size: must be a whole number between 1 and 10000\n",
    });
  }, 60_000);
});

describe("dispatcher send", () => {
  it("sends the requested count, one by one or in batches of 10", async () => {
    const url = await createQueue("cli-send");
    expect((await cli(cloud.endpoint, "send", "cli-send", "--count", "25", "--batch")).code).toBe(0);
    const single = await cli(
      cloud.endpoint,
      "send",
      "cli-send",
      "--count",
      "3",
      "--body",
      '{"sleepMs":1}',
      "--json",
    );
    expect(single.code).toBe(0);
    expect(JSON.parse(single.stdout)).toMatchObject({ queue: "cli-send", sent: 3, failed: 0 });
    expect(await depth(url)).toBe(28);
  });

  it("draws a progress bar only on a terminal", async () => {
    await createQueue("cli-progress");
    const tty = await cliOnTerminal(true, cloud.endpoint, "send", "cli-progress", "--count", "30", "--batch");
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain(`\r[${"#".repeat(30)}] 30/30 100%`);
    const plain = await cli(cloud.endpoint, "send", "cli-progress", "--count", "30", "--batch");
    expect(plain).toMatchObject({ code: 0, stderr: "" });
    expect(plain.stdout).toMatch(/^sent 30 message\(s\) to cli-progress in /);
  });

  it("gives FIFO messages groups and unique deduplication ids", async () => {
    const url = await createQueue("cli-send.fifo", { FifoQueue: "true" });
    expect(
      (await cli(cloud.endpoint, "send", "cli-send.fifo", "--count", "12", "--batch", "--groups", "3")).code,
    ).toBe(0);
    expect(
      (await cli(cloud.endpoint, "send", "cli-send.fifo", "--count", "12", "--batch", "--groups", "3")).code,
    ).toBe(0);
    expect(await depth(url)).toBe(24);
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["MessageGroupId"],
      }),
    );
    for (const m of out.Messages ?? []) expect(["g-0", "g-1", "g-2"]).toContain(m.Attributes?.MessageGroupId);
  });

  it("refuses a bad count or body, and a missing queue fails", async () => {
    expect(await cli(cloud.endpoint, "send", "cli-send", "--count", "0")).toMatchObject({
      code: 2,
      stderr: "error: --count: must be a whole number between 1 and 10000000\n",
    });
    expect((await cli(cloud.endpoint, "send", "cli-send", "--count", "1", "--body", "{nope")).code).toBe(2);
    expect(await cli(cloud.endpoint, "send", "cli-nowhere", "--count", "1")).toMatchObject({
      code: 1,
      stderr: "error: queue 'cli-nowhere' does not exist\n",
    });
  });
});

describe("dispatcher scale", () => {
  it("adds loops (starting them through the poller) and removes them, within the route's bounds", async () => {
    // A stand-in poller that only records its invocations: this test is about the tokens and the async starts.
    await cloud.lambda.register({
      name: "poller",
      handler: "test/fixtures/functions/basic.echo",
      timeoutSec: 10,
      memoryMb: 128,
    });
    const url = await createQueue("cli-scale");
    expect(
      (await cli(cloud.endpoint, "routes", "set", "cli-scale", "--function", "record", "--max-loops", "3"))
        .code,
    ).toBe(0);

    const up = await cli(cloud.endpoint, "scale", "cli-scale", "--loops", "3", "--json");
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ queue: "cli-scale", before: 0, after: 3 });
    expect(await tokensOf(url)).toHaveLength(3);
    await waitFor(async () => cloud.lambda.stats("poller").invocations >= 3, "three poller starts");

    const over = await cli(cloud.endpoint, "scale", "cli-scale", "--loops", "4");
    expect(over).toMatchObject({
      code: 2,
      stderr:
        "error: --loops: 4 is outside the route's bounds 1-3 (change them with 'routes set cli-scale --min-loops/--max-loops')\n",
    });
    expect(await tokensOf(url)).toHaveLength(3);

    const down = await cli(cloud.endpoint, "scale", "cli-scale", "--loops", "1");
    expect(down).toMatchObject({ code: 0, stdout: "cli-scale: 3 -> 1 loop(s), stopped 2\n" });
    expect(await tokensOf(url)).toHaveLength(1);
    expect((await cli(cloud.endpoint, "scale", "cli-scale", "--loops", "0")).code).toBe(2);
    expect((await cli(cloud.endpoint, "scale", "cli-unrouted", "--loops", "1")).code).toBe(1);
  });
});
