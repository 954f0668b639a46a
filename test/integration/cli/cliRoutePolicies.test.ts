import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateQueueCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { routeParameterPath } from "@sqs-dispatcher/config";
import { createSsmRouteStore } from "@sqs-dispatcher/core/aws";
import {
  createLocalClients,
  type LocalClients,
  type LocalCloud,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/cliHarness.js";

let cloud: LocalCloud;
let sqs: SQSClient;
let ssm: SSMClient;
let clients: LocalClients;
let dir: string;

const storedRoute = async (queueName: string) =>
  createSsmRouteStore({ ssm, path: routeParameterPath("clitest", "local") }).get(queueName);

async function createQueue(name: string): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
}

async function file(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  clients = createLocalClients(cloud);
  ({ sqs, ssm } = clients);
  dir = await mkdtemp(join(tmpdir(), "cli-policies-"));
});

afterAll(async () => {
  clients?.destroy();
  await cloud?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("dispatcher routes set: route policies", () => {
  it("sets filters from a file, forward on no match and a rate limit, then removes them", async () => {
    await createQueue("pol-orders");
    await createQueue("pol-parked");
    const filters = await file("filters.json", [
      { body: { type: ["order"] } },
      { body: { total: [{ numeric: [">", 100] }] } },
    ]);
    const set = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "pol-orders",
      "--function",
      "record",
      "--filters",
      filters,
      "--on-no-match",
      "forward:pol-parked",
      "--max-rate",
      "50",
    );
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(
      "pol-orders: filters: 2 pattern(s), no match: forward:pol-parked, max rate: 50 msg/s\n",
    );
    expect(await storedRoute("pol-orders")).toMatchObject({
      filters: [{ body: { type: ["order"] } }, { body: { total: [{ numeric: [">", 100] }] } }],
      onNoMatch: "forward:pol-parked",
      maxRate: 50,
      source: "edit",
    });

    const cleared = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "pol-orders",
      "--filters",
      await file("none.json", []),
      "--no-max-rate",
    );
    expect(cleared.code).toBe(0);
    const route = await storedRoute("pol-orders");
    expect(route).not.toHaveProperty("filters");
    expect(route).not.toHaveProperty("maxRate");
    expect(route?.onNoMatch).toBe("forward:pol-parked");
  });

  it("takes Lambda's FilterCriteria shape and invoke:<registry function>", async () => {
    await createQueue("pol-refunds");
    const criteria = await file("criteria.json", {
      Filters: [{ Pattern: '{ "body": { "RequestCode": ["BBBB"] } }' }],
    });
    const set = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "pol-refunds",
      "--function",
      "record",
      "--filters",
      criteria,
      "--on-no-match",
      "invoke:other",
    );
    expect(set.code).toBe(0);
    expect(await storedRoute("pol-refunds")).toMatchObject({
      filters: [{ body: { RequestCode: ["BBBB"] } }],
      onNoMatch: "invoke:other",
    });
    const shown = await cli(cloud.endpoint, "routes", "show", "pol-refunds");
    expect(shown.stdout).toContain("pol-refunds: filters: 1 pattern(s), no match: invoke:other\n");
  });

  it.each([
    [
      "an unsupported operator",
      async () => ["--filters", await file("wild.json", [{ body: { path: [{ wildcard: "*.png" }] } }])],
      "error: --filters: operator 'wildcard' is not supported: Lambda's FilterCriteria has no 'wildcard'; use 'prefix' or 'suffix'\n",
    ],
    [
      "a file that is not JSON",
      async () => ["--filters", await file("broken.json", "{nope")],
      "error: --filters: '",
    ],
    [
      "an unknown no-match action",
      async () => ["--on-no-match", "drop"],
      "error: --on-no-match: must be 'delete', 'forward:<queue name>' or 'invoke:<function name>'\n",
    ],
    [
      "a function outside the registry",
      async () => ["--on-no-match", "invoke:nobody"],
      "error: --on-no-match: 'nobody' is not a function of the registry (functions: record, other)\n",
    ],
    [
      "forwarding to the route's own queue",
      async () => ["--on-no-match", "forward:pol-refused"],
      "error: --on-no-match: forwards to the route's own queue 'pol-refused'",
    ],
    [
      "a forward target the poller's role may not send to",
      async () => {
        await createQueue("audit-elsewhere");
        return ["--on-no-match", "forward:audit-elsewhere"];
      },
      "error: --on-no-match: the poller may not send to queue 'audit-elsewhere'",
    ],
    [
      "a rate that is not positive",
      async () => ["--max-rate", "0"],
      "error: --max-rate: must be a number greater than 0\n",
    ],
  ])("refuses %s and writes nothing", async (_what, flags, message) => {
    await createQueue("pol-refused");
    const run = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "pol-refused",
      "--function",
      "record",
      ...(await flags()),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(await storedRoute("pol-refused")).toBeUndefined();
  });

  it("refuses forwarding to a queue that does not exist", async () => {
    await createQueue("pol-lonely");
    const run = await cli(
      cloud.endpoint,
      "routes",
      "set",
      "pol-lonely",
      "--function",
      "record",
      "--on-no-match",
      "forward:pol-nowhere",
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: --on-no-match: queue 'pol-nowhere' does not exist; create it first");
    expect(await storedRoute("pol-lonely")).toBeUndefined();
  });
});
