import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { adminApiCacheTtlSec, type RouteInput, routeParameterPath } from "@sqs-dispatcher/config";
import {
  ensureTable,
  type LocalAdminApi,
  type LocalCloud,
  PlatformTables,
  startLocalAdminApi,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The local admin API serves the same handler as the stack, behind a cache keyed like the
 * stage cache: method + resource + the declared cache-key parameters (path `name`, query `view`).
 */
let cloud: LocalCloud;
let api: LocalAdminApi;
let doc: DynamoDBDocumentClient;
let clock = 1_000_000;
const urls: Record<string, string> = {};
const tokensTable = "admin-api-tokens";
const routesPath = routeParameterPath("adminapi", "local");
const adminFunction = "admin-api";

async function get(
  path: string,
): Promise<{ status: number; cache: string | null; body: Record<string, unknown> }> {
  const res = await fetch(`${api.url}${path}`);
  return {
    status: res.status,
    cache: res.headers.get("x-cache"),
    body: (await res.json()) as Record<string, unknown>,
  };
}

function invocations(): number {
  return cloud.lambda.stats(adminFunction).invocations;
}

async function addToken(queue: string, token: string): Promise<void> {
  await doc.send(
    new PutCommand({
      TableName: tokensTable,
      Item: {
        queueUrl: urls[queue],
        token,
        loopId: `loop-${token}`,
        createdAt: 1,
        lastUsed: 2,
        startedAt: 1,
      },
    }),
  );
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const config = {
    endpoint: cloud.endpoint,
    region: cloud.region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  const sqs = new SQSClient(config);
  const ssm = new SSMClient(config);
  const dynamodb = new DynamoDBClient(config);
  doc = DynamoDBDocumentClient.from(dynamodb);
  // The platform's tokens table, as a deploy creates it (waiting until it is ACTIVE).
  await ensureTable(dynamodb, { ...PlatformTables.tokens, name: tokensTable });
  for (const name of ["orders", "audit"]) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    if (!QueueUrl) throw new Error(`no URL for ${name}`);
    urls[name] = QueueUrl;
    const route: RouteInput = { queueName: name, queueUrl: QueueUrl, functionName: "record", maxLoops: 4 };
    await ssm.send(
      new PutParameterCommand({ Name: `${routesPath}${name}`, Type: "String", Value: JSON.stringify(route) }),
    );
  }
  await addToken("orders", "t1");
  await addToken("orders", "t2");
  sqs.destroy();
  ssm.destroy();

  api = await startLocalAdminApi({
    cloud,
    port: 0,
    functionName: adminFunction,
    environment: {
      TOKENS_TABLE: tokensTable,
      ROUTE_STORE: "ssm",
      ROUTES_PATH: routesPath,
      // The stage's alarms, as the stack and the local deploy name them.
      ALARM_NAME_PREFIX: "adminapi-local-",
    },
    now: () => clock,
  });
}, 120_000);

afterAll(async () => {
  await api?.stop();
  doc?.destroy();
  await cloud?.stop();
});

describe("local admin API", () => {
  it("never serves ?view=summary and ?view=loops, or two queue names, from one cache entry", async () => {
    const summary = await get("/queues/orders?view=summary");
    expect(summary.status).toBe(200);
    expect(summary.cache).toBe("Miss");
    expect(summary.body).toMatchObject({ view: "summary", queues: [{ name: "orders", loopCount: 2 }] });

    const loops = await get("/queues/orders?view=loops");
    expect(loops.cache).toBe("Miss");
    expect(loops.body).toMatchObject({ view: "loops", queues: [{ name: "orders" }] });
    expect((loops.body.queues as { loops: unknown[] }[])[0]?.loops).toHaveLength(2);

    const audit = await get("/queues/audit?view=summary");
    expect(audit.cache).toBe("Miss");
    expect(audit.body).toMatchObject({ view: "summary", queues: [{ name: "audit", loopCount: 0 }] });

    const auditLoops = await get("/queues/audit?view=loops");
    expect(auditLoops.cache).toBe("Miss");
    expect(auditLoops.body).toMatchObject({ view: "loops", queues: [{ name: "audit", loops: [] }] });
    expect(api.stats().cached).toBe(4);
  });

  it("serves a repeated identical request from the cache without invoking the handler, until the TTL passes", async () => {
    const first = await get("/queues/orders?view=summary");
    const before = invocations();
    await addToken("orders", "t3");

    const repeated = await get("/queues/orders?view=summary");
    expect(repeated.cache).toBe("Hit");
    expect(repeated.body).toEqual(first.body);
    // A query parameter that is not a cache key does not split the cache, as on API Gateway.
    const extra = await get("/queues/orders?view=summary&colour=blue");
    expect(extra.cache).toBe("Hit");
    expect(invocations()).toBe(before);

    clock += adminApiCacheTtlSec * 1000;
    const fresh = await get("/queues/orders?view=summary");
    expect(fresh.cache).toBe("Miss");
    expect(fresh.body).toMatchObject({ queues: [{ name: "orders", loopCount: 3 }] });
    expect(invocations()).toBe(before + 1);
  });

  it("lists every queue on GET /queues, keyed apart from single queues", async () => {
    const all = await get("/queues");
    expect(all.status).toBe(200);
    expect(all.cache).toBe("Miss");
    const names = (all.body.queues as { name: string }[]).map((q) => q.name);
    expect(names).toEqual(expect.arrayContaining(["audit", "orders"]));
    // The account's concurrency (the local Lambda's GetAccountSettings) against both routes at
    // maxLoops 4 with the default concurrency 4: 8 loops + 32 handler invocations.
    expect(all.body["capacity"]).toMatchObject({
      accountConcurrency: 1000,
      loopsAtMax: 8,
      handlersAtMax: 32,
      totalAtMax: 40,
      headroom: 960,
      warning: null,
    });
  });

  it("answers 400 for a bad view and never caches it", async () => {
    const bad = await get("/queues/orders?view=everything");
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toMatch(/view/);
    const again = await get("/queues/orders?view=everything");
    expect(again.status).toBe(400);
    expect(again.cache).toBe("Miss");
  });

  it("answers 404 for an unknown queue and 403 for a path the API does not define", async () => {
    expect((await get("/queues/nope")).status).toBe(404);
    const undefinedPath = await get("/elsewhere");
    expect(undefinedPath.status).toBe(403);
    expect(undefinedPath.body).toEqual({ message: "Missing Authentication Token" });
  });
});
