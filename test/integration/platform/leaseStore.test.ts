import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Route } from "@sqs-dispatcher/config";
import {
  createRestart,
  LeaseLostError,
  type LeaseStore,
  type LoopEvent,
  silentLogger,
  systemClock,
} from "@sqs-dispatcher/core";
import { createDynamoLeaseStore, createDynamoQueueScalingLock } from "@sqs-dispatcher/core/aws";
import {
  ensureTable,
  type LocalCloud,
  PlatformTables,
  ScalingEventsTable,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let cloud: LocalCloud;
let dynamodb: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let leases: LeaseStore;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  dynamodb = new DynamoDBClient({
    endpoint: cloud.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  doc = DynamoDBDocumentClient.from(dynamodb);
  // The platform's tokens table, as a deploy creates it (waiting until it is ACTIVE).
  await ensureTable(dynamodb, PlatformTables.tokens);
  await ensureTable(dynamodb, ScalingEventsTable);
  leases = createDynamoLeaseStore({ doc, tableName: "tokens" });
});

afterAll(async () => {
  dynamodb?.destroy();
  await cloud?.stop();
});

const queueUrl = (name: string) => `http://127.0.0.1:4566/000000000000/${name}`;

describe("DynamoDB lease store against the local cloud", () => {
  it("lets exactly one of 50 concurrent claimers take a token", async () => {
    const key = { queueUrl: queueUrl("claims"), token: "t" };
    expect(await leases.create({ ...key, loopId: "old", createdAt: 1 })).toBe(true);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => leases.claim(key, "old", `new-${i}`, 1_000 + i)),
    );
    const winners = results.flatMap((won, i) => (won ? [i] : []));
    expect(winners).toHaveLength(1);
    const [row] = await leases.listByQueue(key.queueUrl);
    expect(row?.loopId).toBe(`new-${winners[0]}`);
    // A claim restarts the loop, so it resets startedAt; lastUsed stays until the new loop heartbeats.
    expect(row?.startedAt).toBe(1_000 + (winners[0] ?? 0));
    expect(row?.lastUsed).toBeUndefined();
  });

  it("fails a claim raced by a heartbeat: the loop that heartbeat after the claimer's read keeps its token", async () => {
    const key = { queueUrl: queueUrl("claim-race"), token: "t" };
    await leases.create({ ...key, loopId: "slow", createdAt: 1, startedAt: 1 });
    await leases.heartbeat({ ...key, loopId: "slow" }, 10);
    const [seen] = await leases.listByQueue(key.queueUrl);
    if (!seen) throw new Error("token not found");
    // The slow loop heartbeats between restart's read and its claim.
    await leases.heartbeat({ ...key, loopId: "slow" }, 20);
    expect(await leases.claim(key, { loopId: seen.loopId, lastUsed: seen.lastUsed }, "new", 30)).toBe(false);
    expect((await leases.listByQueue(key.queueUrl))[0]).toMatchObject({ loopId: "slow", lastUsed: 20 });
    await leases.heartbeat({ ...key, loopId: "slow" }, 40);

    // A claim on what is there now wins, and leaves lastUsed for the new loop's first heartbeat.
    expect(await leases.claim(key, { loopId: "slow", lastUsed: 40 }, "new", 50)).toBe(true);
    expect((await leases.listByQueue(key.queueUrl))[0]).toMatchObject({
      loopId: "new",
      lastUsed: 40,
      startedAt: 50,
    });
    await expect(leases.heartbeat({ ...key, loopId: "slow" }, 60)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("claims a token that never heartbeat only while it has no lastUsed", async () => {
    const key = { queueUrl: queueUrl("claim-unstarted"), token: "t" };
    await leases.create({ ...key, loopId: "a", createdAt: 1, startedAt: 1 });
    await leases.heartbeat({ ...key, loopId: "a" }, 5);
    expect(await leases.claim(key, { loopId: "a", lastUsed: undefined }, "b", 6)).toBe(false);
    const other = { queueUrl: queueUrl("claim-unstarted"), token: "u" };
    await leases.create({ ...other, loopId: "a", createdAt: 1, startedAt: 1 });
    expect(await leases.claim(other, { loopId: "a", lastUsed: undefined }, "b", 6)).toBe(true);
    // A second claim of the same start (a retry after its start failed) is conditioned on the new loopId.
    expect(await leases.claim(other, { loopId: "a", lastUsed: undefined }, "c", 7)).toBe(false);
    expect(await leases.claim(other, { loopId: "b", lastUsed: undefined }, "c", 7)).toBe(true);
  });

  it("heartbeats only the current loopId, and fails with LeaseLostError once taken over or deleted", async () => {
    const key = { queueUrl: queueUrl("heartbeat"), token: "t" };
    await leases.create({ ...key, loopId: "a", createdAt: 1, startedAt: 1 });
    await leases.heartbeat({ ...key, loopId: "a" }, 5);
    expect((await leases.listByQueue(key.queueUrl))[0]?.lastUsed).toBe(5);
    expect(await leases.claim(key, "a", "b", 6)).toBe(true);
    await expect(leases.heartbeat({ ...key, loopId: "a" }, 7)).rejects.toBeInstanceOf(LeaseLostError);
    await leases.heartbeat({ ...key, loopId: "b" }, 8);
    expect(await leases.create({ ...key, loopId: "c", createdAt: 9 })).toBe(false);
    expect(await leases.delete(key)).toBe(true);
    expect(await leases.delete(key)).toBe(false);
    await expect(leases.heartbeat({ ...key, loopId: "b" }, 10)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("fences two concurrent invocations of one loop: the last to take the slot survives, the other is superseded", async () => {
    const key = { queueUrl: queueUrl("fence"), token: "t" };
    const lease = { ...key, loopId: "L" };
    await leases.create({ ...lease, createdAt: 1, startedAt: 1 });
    const invocations = ["inv-a", "inv-b"];
    // Both first heartbeats at once: each takes the slot, the later write wins it.
    await Promise.all(
      invocations.map((id) => leases.heartbeat(lease, 10, { invocationId: id, first: true })),
    );
    const holder = (await leases.listByQueue(key.queueUrl))[0]?.invocationId;
    if (holder === undefined) throw new Error("no invocation took the slot");
    expect(invocations).toContain(holder);
    // Then both keep heartbeating concurrently, each until its lease is lost or 5 beats went through.
    const beat = async (id: string): Promise<"survived" | "fenced"> => {
      for (let i = 0; i < 5; i++) {
        try {
          await leases.heartbeat(lease, 20 + i, { invocationId: id, first: false });
        } catch (error) {
          if (error instanceof LeaseLostError) return "fenced";
          throw error;
        }
      }
      return "survived";
    };
    const results = await Promise.all(invocations.map(beat));
    expect(results.filter((r) => r === "survived")).toHaveLength(1);
    expect(invocations[results.indexOf("survived")]).toBe(holder);
    // The row still has the loop's id: the poller reads this as superseded, not taken over or revoked.
    const [row] = await leases.listByQueue(key.queueUrl);
    expect(row).toMatchObject({ loopId: "L", invocationId: holder, lastUsed: 24 });
    // A retried first heartbeat (its earlier write landed) is idempotent and keeps the slot.
    await leases.heartbeat(lease, 30, { invocationId: holder, first: true });
    await leases.heartbeat(lease, 31, { invocationId: holder, first: false });
  });

  it("clears the invocation slot on claim, so the new loop's first heartbeat starts clean", async () => {
    const key = { queueUrl: queueUrl("fence-claim"), token: "t" };
    await leases.create({ ...key, loopId: "old", createdAt: 1, startedAt: 1 });
    await leases.heartbeat({ ...key, loopId: "old" }, 2, { invocationId: "inv-old", first: true });
    expect(await leases.claim(key, "old", "new", 3)).toBe(true);
    const [row] = await leases.listByQueue(key.queueUrl);
    expect(row).toMatchObject({ loopId: "new", lastUsed: 2, startedAt: 3 });
    expect(row?.invocationId).toBeUndefined();
    await expect(
      leases.heartbeat({ ...key, loopId: "old" }, 4, { invocationId: "inv-old", first: false }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await leases.heartbeat({ ...key, loopId: "new" }, 5, { invocationId: "inv-new", first: true });
    await leases.heartbeat({ ...key, loopId: "new" }, 6, { invocationId: "inv-new", first: false });
    expect((await leases.listByQueue(key.queueUrl))[0]).toMatchObject({
      invocationId: "inv-new",
      lastUsed: 6,
    });
  });

  it("scans a token table larger than one 1 MB page, and restart sees every token", async () => {
    const url = queueUrl("many");
    const now = Date.now();
    const count = 240;
    const padding = "x".repeat(10_000); // ~10 KB per token: 240 tokens need three 1 MB Scan pages
    for (let i = 0; i < count; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) => {
          const n = i + j;
          return doc.send(
            new PutCommand({
              TableName: "tokens",
              Item: {
                queueUrl: url,
                token: `t${String(n).padStart(4, "0")}`,
                loopId: `loop-${n}`,
                createdAt: now - 100_000,
                // Every tenth token is stale.
                lastUsed: n % 10 === 0 ? now - 100_000 : now,
                padding,
              },
            }),
          );
        }),
      );
    }
    const started: LoopEvent[] = [];
    const route = {
      queueName: "many",
      queueUrl: url,
      functionName: "record",
      batchSize: 10,
      batchWindowSec: 0,
      concurrency: 1,
      minLoops: 0,
      maxLoops: 1000,
      scaleStep: 1,
      alarms: [],
      scaling: { mode: "alarm" },
      paused: false,
      idle: "shared",
      source: "deploy",
      updatedAt: 0,
    } satisfies Route;
    const otherRoutes = [
      queueUrl("claims"),
      queueUrl("heartbeat"),
      queueUrl("fence"),
      queueUrl("fence-claim"),
    ].map((u) => ({ ...route, queueUrl: u }));
    const report = await createRestart({
      leases,
      routes: { list: async () => [route, ...otherRoutes] },
      starter: { start: async (e) => void started.push(e) },
      lock: createDynamoQueueScalingLock({ doc, tableName: ScalingEventsTable.name }),
      clock: systemClock,
      logger: silentLogger,
      settings: { staleAfterMs: 60_000, startGraceMs: 60_000 },
    }).run();
    expect(report.pages).toBeGreaterThanOrEqual(3);
    expect(report.scanned).toBeGreaterThanOrEqual(count);
    expect(report.claimed.filter((e) => e.queueUrl === url)).toHaveLength(count / 10);
    expect(
      started
        .filter((e) => e.queueUrl === url)
        .map((e) => e.token)
        .sort(),
    ).toEqual(Array.from({ length: count / 10 }, (_, i) => `t${String(i * 10).padStart(4, "0")}`));
    expect(report.errors).toEqual([]);
    expect(await leases.listByQueue(url)).toHaveLength(count);
  });

  it("reconciles a route's loop count only under the queue's scaling lock", async () => {
    const url = queueUrl("locked");
    const lock = createDynamoQueueScalingLock({ doc, tableName: ScalingEventsTable.name });
    const started: LoopEvent[] = [];
    const route = {
      queueName: "locked",
      queueUrl: url,
      functionName: "record",
      batchSize: 10,
      batchWindowSec: 0,
      concurrency: 1,
      minLoops: 2,
      maxLoops: 2,
      scaleStep: 1,
      alarms: [],
      scaling: { mode: "alarm" },
      paused: false,
      idle: "sleep",
      source: "deploy",
      updatedAt: 0,
    } satisfies Route;
    const restart = createRestart({
      leases,
      routes: { list: async () => [route] },
      starter: { start: async (e) => void started.push(e) },
      lock,
      lockWaitMs: 300,
      clock: systemClock,
      logger: silentLogger,
      settings: { staleAfterMs: 60_000, startGraceMs: 60_000 },
    });
    // A scale function holds the queue's lock: reconcile adds nothing and says why.
    expect(await lock.acquire(url, "scale-up", Date.now(), 60_000)).toBe(true);
    const blocked = await restart.run();
    expect(blocked.errors).toEqual([
      expect.objectContaining({
        step: "reconcile",
        queueUrl: url,
        message: expect.stringMatching(/holds its lock/),
      }),
    ]);
    expect(await leases.listByQueue(url)).toHaveLength(0);
    // Once it is given back, the next run adds the route's loops, and gives the lock back in turn.
    await lock.release(url, "scale-up");
    const report = await restart.run();
    expect(report.errors).toEqual([]);
    expect(await leases.listByQueue(url)).toHaveLength(2);
    expect(started.map((e) => e.queueUrl)).toEqual([url, url]);
    expect(await lock.acquire(url, "next", Date.now(), 1_000)).toBe(true);
    await lock.release(url, "next");
  });
});
