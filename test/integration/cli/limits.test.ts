import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { routeParameterPath } from "@sqs-dispatcher/config";
import { InvalidStoredRouteError } from "@sqs-dispatcher/core";
import { createSsmRouteStore } from "@sqs-dispatcher/core/aws";
import {
  createLocalClients,
  ensureTable,
  type LocalClients,
  type LocalCloud,
  PlatformTables,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/cliHarness.js";

// docs/limits.md: each row of its CLI and route-store tables is one case here. Every refusal is
// checked for its message, its exit code, and that nothing was written.

let cloud: LocalCloud;
let sqs: SQSClient;
let ssm: SSMClient;
let dynamodb: DynamoDBClient;
let clients: LocalClients;
const path = routeParameterPath("clitest", "local");

/** The stored routes, read behind the CLI's back; corrupt ones are named apart. */
async function stored(): Promise<{ names: string[]; corrupt: string[] }> {
  try {
    const routes = await createSsmRouteStore({ ssm, path }).list();
    return { names: routes.map((r) => r.queueName), corrupt: [] };
  } catch (error) {
    if (!(error instanceof InvalidStoredRouteError)) throw error;
    return { names: error.valid.map((r) => r.queueName), corrupt: error.invalid.map((i) => i.key) };
  }
}

async function createQueue(name: string): Promise<string> {
  return (
    await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "30" } }))
  ).QueueUrl!;
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  clients = createLocalClients(cloud);
  ({ sqs, ssm, dynamodb } = clients);
  // `routes rm` stops the route's loops in the tokens table, as a deploy creates it.
  await ensureTable(dynamodb, PlatformTables.tokens);
  for (const q of ["lim-a", "lim-b", "lim-c"]) await createQueue(q);
});

afterAll(async () => {
  clients?.destroy();
  await cloud?.stop();
});

describe("routes set refuses numbers past the limits (exit 2, nothing written)", () => {
  it.each([
    [
      "--min-loops/--max-loops 100000000",
      ["--min-loops", "100000000", "--max-loops", "100000000"],
      [
        "--min-loops: must be at most 10000, the highest limits.maxLoopsTotal a registry may set",
        "--max-loops: must be at most 10000, the highest limits.maxLoopsTotal a registry may set",
      ],
    ],
    [
      "--max-loops 5000 --scale-step 5000",
      ["--max-loops", "5000", "--scale-step", "5000"],
      [
        "--max-loops: maxLoops (5000) of queue 'lim-a' exceeds limits.maxLoopsPerRoute (50); lower maxLoops or raise limits.maxLoopsPerRoute in dispatcher.config.ts",
        "--max-loops: the routes' maxLoops × concurrency add up to 20000 (lim-a 5000×4), above limits.maxLoopsTotal (200); lower maxLoops or concurrency, or raise limits.maxLoopsTotal within the account's Lambda concurrency",
      ],
    ],
    [
      "--max-loops/--scale-step 9007199254740991",
      ["--max-loops", "9007199254740991", "--scale-step", "9007199254740991"],
      [
        "--max-loops: must be at most 10000, the highest limits.maxLoopsTotal a registry may set",
        "--scale-step: must be at most 10000, the highest limits.maxLoopsTotal a registry may set",
      ],
    ],
    [
      "--max-loops 51 (limits.maxLoopsPerRoute 50)",
      ["--max-loops", "51"],
      [
        "--max-loops: maxLoops (51) of queue 'lim-a' exceeds limits.maxLoopsPerRoute (50); lower maxLoops or raise limits.maxLoopsPerRoute in dispatcher.config.ts",
        // 51 loops × the default concurrency 4 also pass the total on their own.
        "--max-loops: the routes' maxLoops × concurrency add up to 204 (lim-a 51×4), above limits.maxLoopsTotal (200); lower maxLoops or concurrency, or raise limits.maxLoopsTotal within the account's Lambda concurrency",
      ],
    ],
    [
      "--scale-step above --max-loops",
      ["--max-loops", "2", "--scale-step", "3"],
      ["--scale-step: scaleStep (3) must not exceed maxLoops (2)"],
    ],
    [
      "--max-loops 1e3 (not a whole number)",
      ["--max-loops", "1e3"],
      ["--max-loops: must be a whole number at least 1"],
    ],
  ])("%s", async (_name, flags, lines) => {
    const before = await stored();
    const run = await cli(cloud.endpoint, "routes", "set", "lim-a", "--function", "record", ...flags);
    expect(run).toMatchObject({ code: 2, stdout: "", stderr: lines.map((l) => `error: ${l}\n`).join("") });
    expect(await stored()).toEqual(before);
  });

  it("a route that takes the stored routes past limits.maxLoopsTotal (200), naming them", async () => {
    const first = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "lim-b",
      "--function",
      "record",
      "--max-loops",
      "50",
    );
    expect(first.code).toBe(0);
    const before = await stored();
    const run = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "lim-c",
      "--function",
      "record",
      "--max-loops",
      "1",
    );
    expect(run).toMatchObject({
      code: 2,
      stderr:
        "error: --max-loops: the routes' maxLoops × concurrency add up to 204 (lim-b 50×4, lim-c 1×4), above limits.maxLoopsTotal (200); lower maxLoops or concurrency, or raise limits.maxLoopsTotal within the account's Lambda concurrency\n",
    });
    expect(await stored()).toEqual(before);
    expect((await cli(cloud.endpoint, "routes", "rm", "lim-b")).code).toBe(0);
  });
});

describe("route-store contents that do not parse", () => {
  it.each([
    [
      "a queue URL of another host",
      { queueUrl: "https://evil.example/000000000000/lim-evil" },
      "queueUrl: must be an SQS endpoint",
    ],
    ["maxLoops past the ceiling", { maxLoops: 100_000_000 }, "maxLoops: must be at most 10000"],
  ])("%s: routes list shows the rest and exits 1 naming it; show exits 1", async (_name, fields, message) => {
    const name = `lim-evil-${Object.keys(fields)[0]}`;
    await ssm.send(
      new PutParameterCommand({
        Name: `${path}${name}`,
        Type: "String",
        Overwrite: true,
        Value: JSON.stringify({
          queueName: name,
          queueUrl: `${cloud.endpoint}/000000000000/${name}`,
          functionName: "record",
          ...fields,
          ...("queueUrl" in fields ? { queueUrl: fields.queueUrl.replace("lim-evil", name) } : {}),
        }),
      }),
    );
    const list = await cli(cloud.endpoint, "routes", "list");
    expect(list.code).toBe(1);
    expect(list.stderr).toContain(`stored route '${path}${name}' does not parse`);
    expect(list.stderr).toContain(message);
    const show = await cli(cloud.endpoint, "routes", "show", name);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain(message);
    // `routes rm` repairs it.
    expect((await cli(cloud.endpoint, "routes", "rm", name)).code).toBe(0);
    expect((await stored()).corrupt).toEqual([]);
  });
});
