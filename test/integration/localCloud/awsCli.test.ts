import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

let cloud: LocalCloud;
let scratch: string;

/** Runs the AWS CLI (1.45, on the machine image) against the local cloud and parses its JSON output. */
async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run("aws", ["--endpoint-url", cloud.endpoint, "--output", "json", ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: scratch,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
      // Keep the developer's own AWS configuration out of the test.
      AWS_CONFIG_FILE: join(scratch, "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(scratch, "credentials"),
      AWS_PAGER: "",
    },
    timeout: 60_000,
  });
  return stdout.trim() === "" ? {} : (JSON.parse(stdout) as Record<string, unknown>);
}

const sdkConfig = () => ({
  endpoint: cloud.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "aws-cli-"));
  cloud = await startLocalCloud({ port: 0 });
});

afterAll(async () => {
  await cloud?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("the AWS CLI through the edge", () => {
  it("sqs list-queues lists a queue created with the SDK, by the edge's URL", async () => {
    const sqs = new SQSClient(sdkConfig());
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "cli-visible" }));
    sqs.destroy();
    const out = await aws("sqs", "list-queues");
    expect(out.QueueUrls).toContain(QueueUrl);
    const created = await aws("sqs", "create-queue", "--queue-name", "cli-made");
    expect(created.QueueUrl).toBe(`${cloud.endpoint}/000000000000/cli-made`);
  });

  it("dynamodb list-tables lists a table created with the SDK", async () => {
    const dynamodb = new DynamoDBClient(sdkConfig());
    await dynamodb.send(
      new CreateTableCommand({
        TableName: "cli-table",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      }),
    );
    dynamodb.destroy();
    const out = await aws("dynamodb", "list-tables");
    expect(out.TableNames).toEqual(["cli-table"]);
  });

  it("ssm get-parameters-by-path --path / follows NextToken across pages", async () => {
    const ssm = new SSMClient(sdkConfig());
    const names = Array.from({ length: 12 }, (_, i) => `/cli${String(i).padStart(2, "0")}`);
    for (const name of names) {
      await ssm.send(new PutParameterCommand({ Name: name, Value: `value-${name}`, Type: "String" }));
    }
    ssm.destroy();
    await aws("ssm", "put-parameter", "--name", "/cli/nested", "--value", "deep", "--type", "SecureString");

    const root = await aws("ssm", "get-parameters-by-path", "--path", "/");
    const rootNames = (root.Parameters as Array<{ Name: string }>).map((p) => p.Name);
    expect(rootNames).toEqual(names);

    const nested = await aws("ssm", "get-parameters-by-path", "--path", "/cli", "--with-decryption");
    expect(nested.Parameters).toEqual([
      expect.objectContaining({ Name: "/cli/nested", Value: "deep", Version: 1 }),
    ]);
  });

  it("sts get-caller-identity names the local account", async () => {
    const out = await aws("sts", "get-caller-identity");
    expect(out.Account).toBe("000000000000");
  });

  it("ssm errors reach the CLI with AWS's error names", async () => {
    const failure = await aws("ssm", "get-parameter", "--name", "/cli/absent").then(
      () => undefined,
      (error: { stderr?: string }) => error.stderr ?? "",
    );
    expect(failure).toContain("ParameterNotFound");
  });

  it("lambda list-functions and lambda invoke reach the local Lambda service", async () => {
    await cloud.lambda.register({
      name: "cli-echo",
      handler: "test/fixtures/functions/basic.echo",
      timeoutSec: 10,
      memoryMb: 128,
    });
    const listed = await aws("lambda", "list-functions");
    expect((listed.Functions as Array<{ FunctionName: string }>).map((f) => f.FunctionName)).toContain(
      "cli-echo",
    );

    const outFile = join(scratch, "invoke-out.json");
    const invoked = await aws(
      "lambda",
      "invoke",
      "--function-name",
      "cli-echo",
      "--payload",
      JSON.stringify({ hello: "cli" }),
      outFile,
    );
    expect(invoked.StatusCode).toBe(200);
    expect(invoked.FunctionError).toBeUndefined();
    const response = JSON.parse(await readFile(outFile, "utf8")) as { event?: unknown };
    expect(response.event).toEqual({ hello: "cli" });
  });
});
