import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand, LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsCli, awsCli, createZipFunction, zipArgument } from "../support/awsCli.js";

let cloud: LocalCloud;
let scratch: string;
let aws: AwsCli;
let lambda: LambdaClient;
const role = "arn:aws:iam::000000000000:role/lambda-role";

const sdkConfig = () => ({
  endpoint: cloud.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

/** The CLI's `fileb://` argument for a zip of `files` in the scratch folder. */
const zipFile = (name: string, files: Record<string, string>) => zipArgument(scratch, name, files);

const createFunction = (name: string, handler: string, files: Record<string, string>, ...extra: string[]) =>
  createZipFunction(aws, { name, handler, files, role, folder: scratch }, ...extra);

async function invoke(functionName: string, payload: unknown = {}, qualifier?: string): Promise<unknown> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: Buffer.from(JSON.stringify(payload)),
      ...(qualifier !== undefined ? { Qualifier: qualifier } : {}),
    }),
  );
  const text = Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8");
  if (out.FunctionError) throw new Error(`function error: ${text}`);
  return JSON.parse(text);
}

const esmEcho = (tag: string) => ({
  "index.mjs": `export const handler = async (event) => ({ tag: ${JSON.stringify(tag)}, event, greeting: process.env.GREETING ?? null });`,
});

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "lambda-cp-"));
  cloud = await startLocalCloud({ port: 0 });
  aws = awsCli(cloud.endpoint, scratch);
  lambda = new LambdaClient(sdkConfig());
});

afterAll(async () => {
  lambda?.destroy();
  await cloud?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("the local Lambda control plane, driven by the AWS CLI", () => {
  it("create-function runs a zip's ES module, CommonJS and type-module handlers", async () => {
    const created = await createFunction("echo-esm", "index.handler", esmEcho("esm"), "--timeout", "7");
    expect(created).toMatchObject({
      FunctionName: "echo-esm",
      Runtime: "nodejs22.x",
      Timeout: 7,
      State: "Active",
    });
    expect(await invoke("echo-esm", { a: 1 })).toMatchObject({ tag: "esm", event: { a: 1 } });

    await createFunction("echo-cjs", "src/app.run", {
      "src/app.js": "exports.run = async (event) => ({ tag: 'cjs', event });",
    });
    expect(await invoke("echo-cjs", { b: 2 })).toMatchObject({ tag: "cjs", event: { b: 2 } });

    await createFunction("echo-module", "app.handler", {
      "package.json": JSON.stringify({ type: "module" }),
      "app.js":
        "export async function handler() { return { tag: 'type-module', meta: typeof import.meta.url }; }",
    });
    expect(await invoke("echo-module")).toEqual({ tag: "type-module", meta: "string" });
  });

  it("a created function imports the AWS SDK v3 without bundling it, and reaches the local cloud", async () => {
    const sqs = new SQSClient(sdkConfig());
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "from-created-function" }));
    await createFunction("sdk-user", "index.handler", {
      "index.mjs": [
        `import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";`,
        `const sqs = new SQSClient({});`,
        `export const handler = async (event) => { await sqs.send(new SendMessageCommand({ QueueUrl: event.queueUrl, MessageBody: "hello from a zip" })); return "sent"; };`,
      ].join("\n"),
    });
    expect(await invoke("sdk-user", { queueUrl: QueueUrl })).toBe("sent");
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(received.Messages?.[0]?.Body).toBe("hello from a zip");
    sqs.destroy();
  });

  it("update-function-code and update-function-configuration change what the next invoke runs", async () => {
    await createFunction("changing", "index.handler", esmEcho("v1"));
    expect(await invoke("changing")).toMatchObject({ tag: "v1", greeting: null });
    const updated = await aws(
      "lambda",
      "update-function-code",
      "--function-name",
      "changing",
      "--zip-file",
      await zipFile("changing-2", esmEcho("v2")),
    );
    expect(updated.CodeSha256).not.toBe(
      (await aws("lambda", "get-function", "--function-name", "echo-esm")).CodeSha256,
    );
    expect(await invoke("changing")).toMatchObject({ tag: "v2" });
    const configured = await aws(
      "lambda",
      "update-function-configuration",
      "--function-name",
      "changing",
      "--timeout",
      "12",
      "--memory-size",
      "512",
      "--environment",
      "Variables={GREETING=hi}",
    );
    expect(configured).toMatchObject({
      Timeout: 12,
      MemorySize: 512,
      Environment: { Variables: { GREETING: "hi" } },
    });
    expect(await invoke("changing")).toMatchObject({ tag: "v2", greeting: "hi" });
    const config = await aws("lambda", "get-function-configuration", "--function-name", "changing");
    expect(config).toMatchObject({ Timeout: 12, MemorySize: 512, Handler: "index.handler", Role: role });
  });

  it("answers with AWS's error types", async () => {
    await createFunction("exists-once", "index.handler", esmEcho("x"));
    const again = await aws.attempt(
      "lambda",
      "create-function",
      "--function-name",
      "exists-once",
      "--runtime",
      "nodejs22.x",
      "--role",
      role,
      "--handler",
      "index.handler",
      "--zip-file",
      await zipFile("exists-once", esmEcho("x")),
    );
    expect(again.ok ? "" : again.stderr).toContain("ResourceConflictException");
    const missing = await aws.attempt("lambda", "get-function", "--function-name", "no-such-function");
    expect(missing.ok ? "" : missing.stderr).toContain("ResourceNotFoundException");
    const badRuntime = await aws.attempt(
      "lambda",
      "create-function",
      "--function-name",
      "old-runtime",
      "--runtime",
      "python3.12",
      "--role",
      role,
      "--handler",
      "index.handler",
      "--zip-file",
      await zipFile("old-runtime", esmEcho("x")),
    );
    expect(badRuntime.ok ? "" : badRuntime.stderr).toContain("InvalidParameterValueException");
  });

  it("reserved concurrency is set, read and removed; 0 throttles every invoke", async () => {
    await createFunction("limited", "index.handler", esmEcho("limited"));
    const put = await aws(
      "lambda",
      "put-function-concurrency",
      "--function-name",
      "limited",
      "--reserved-concurrent-executions",
      "0",
    );
    expect(put).toEqual({ ReservedConcurrentExecutions: 0 });
    expect(await aws("lambda", "get-function-concurrency", "--function-name", "limited")).toEqual({
      ReservedConcurrentExecutions: 0,
    });
    await expect(invoke("limited")).rejects.toMatchObject({ name: "TooManyRequestsException" });
    await aws("lambda", "delete-function-concurrency", "--function-name", "limited");
    expect(await aws("lambda", "get-function-concurrency", "--function-name", "limited")).toEqual({});
    expect(await invoke("limited")).toMatchObject({ tag: "limited" });
  });

  it("versions and aliases: a qualified invoke runs the code the alias points at", async () => {
    await createFunction("versioned", "index.handler", esmEcho("one"));
    const v1 = await aws("lambda", "publish-version", "--function-name", "versioned");
    expect(v1.Version).toBe("1");
    await aws(
      "lambda",
      "update-function-code",
      "--function-name",
      "versioned",
      "--zip-file",
      await zipFile("versioned-2", esmEcho("two")),
    );
    const v2 = await aws("lambda", "publish-version", "--function-name", "versioned");
    expect(v2.Version).toBe("2");
    const alias = await aws(
      "lambda",
      "create-alias",
      "--function-name",
      "versioned",
      "--name",
      "live",
      "--function-version",
      "1",
    );
    expect(alias.AliasArn).toBe("arn:aws:lambda:us-east-1:000000000000:function:versioned:live");
    expect(await invoke("versioned", {}, "live")).toMatchObject({ tag: "one" });
    expect(await invoke("arn:aws:lambda:us-east-1:000000000000:function:versioned:live")).toMatchObject({
      tag: "one",
    });
    expect(await invoke("versioned")).toMatchObject({ tag: "two" });
    await aws(
      "lambda",
      "update-alias",
      "--function-name",
      "versioned",
      "--name",
      "live",
      "--function-version",
      "2",
    );
    expect(
      (await aws("lambda", "get-alias", "--function-name", "versioned", "--name", "live")).FunctionVersion,
    ).toBe("2");
    expect(await invoke("versioned", {}, "live")).toMatchObject({ tag: "two" });
    await expect(invoke("versioned", {}, "nope")).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });

  it("add-permission is stored and get-policy returns it", async () => {
    await createFunction("shared", "index.handler", esmEcho("shared"));
    const added = await aws(
      "lambda",
      "add-permission",
      "--function-name",
      "shared",
      "--statement-id",
      "sqs-dispatcher",
      "--action",
      "lambda:InvokeFunction",
      "--principal",
      "arn:aws:iam::111122223333:role/poller",
    );
    expect(JSON.parse(String(added.Statement))).toMatchObject({
      Sid: "sqs-dispatcher",
      Principal: { AWS: "arn:aws:iam::111122223333:role/poller" },
    });
    const policy = await aws("lambda", "get-policy", "--function-name", "shared");
    expect(JSON.parse(String(policy.Policy)).Statement).toHaveLength(1);
  });

  it("list-functions pages with MaxItems and Marker; delete-function removes a function", async () => {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await lambda.send(
        new ListFunctionsCommand({ MaxItems: 2, ...(marker ? { Marker: marker } : {}) }),
      );
      expect(page.Functions?.length ?? 0).toBeLessThanOrEqual(2);
      names.push(...(page.Functions ?? []).map((f) => f.FunctionName ?? ""));
      marker = page.NextMarker;
    } while (marker);
    expect(names).toEqual(expect.arrayContaining(["echo-esm", "versioned", "shared"]));
    expect(names.filter((n) => n === "versioned")).toHaveLength(1);
    const cli = await aws("lambda", "list-functions");
    expect((cli.Functions as { FunctionName: string }[]).map((f) => f.FunctionName).sort()).toEqual(
      [...names].sort(),
    );
    await aws("lambda", "delete-function", "--function-name", "shared");
    const gone = await aws.attempt("lambda", "get-function", "--function-name", "shared");
    expect(gone.ok ? "" : gone.stderr).toContain("ResourceNotFoundException");
  });
});

describe("created functions and a data folder", () => {
  it("survive a restart of the local cloud", async () => {
    const dataDir = join(scratch, "data");
    let first: LocalCloud | undefined = await startLocalCloud({ port: 0, dataDir });
    try {
      const cli = awsCli(first.endpoint, scratch);
      await cli(
        "lambda",
        "create-function",
        "--function-name",
        "durable",
        "--runtime",
        "nodejs24.x",
        "--role",
        role,
        "--handler",
        "index.handler",
        "--zip-file",
        await zipFile("durable", esmEcho("kept")),
        "--timeout",
        "9",
      );
      await cli(
        "lambda",
        "put-function-concurrency",
        "--function-name",
        "durable",
        "--reserved-concurrent-executions",
        "3",
      );
    } finally {
      await first.stop();
      first = undefined;
    }
    const second = await startLocalCloud({ port: 0, dataDir });
    const client = new LambdaClient({ ...sdkConfig(), endpoint: second.endpoint });
    try {
      const cli = awsCli(second.endpoint, scratch);
      expect(await cli("lambda", "get-function-configuration", "--function-name", "durable")).toMatchObject({
        Timeout: 9,
        Runtime: "nodejs24.x",
      });
      expect(await cli("lambda", "get-function-concurrency", "--function-name", "durable")).toEqual({
        ReservedConcurrentExecutions: 3,
      });
      const out = await client.send(
        new InvokeCommand({ FunctionName: "durable", Payload: Buffer.from("{}") }),
      );
      expect(JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString())).toMatchObject({
        tag: "kept",
      });
    } finally {
      client.destroy();
      await second.stop();
    }
  });
});
