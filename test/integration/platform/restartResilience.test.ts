import { DeleteParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { BatchWriteCommand, DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { PlatformFunction } from "@sqs-dispatcher/config";
import {
  createRestart,
  type LogFields,
  type RestartReport,
  silentLogger,
  systemClock,
} from "@sqs-dispatcher/core";
import {
  createDynamoLeaseStore,
  createDynamoQueueScalingLock,
  createLambdaLoopStarter,
  createSsmRouteStore,
} from "@sqs-dispatcher/core/aws";
import { ScalingEventsTable } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/** What the restart function returns (packages/functions/src/restart.ts). */
interface RestartResult {
  stale: number;
  claimed: number;
  started: number;
  deleted: number;
  unreadableRoutes: number;
  errors: number;
  left: { claims: number; routes: number; orphans: number; scanIncomplete: boolean };
}

describe("restart with a corrupt stored route", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [
          { queue: { name: "steady" }, function: "noop" },
          { queue: { name: "restored" }, function: "noop" },
        ],
      }),
      { scheduler: false },
    );
    await platform.restartNow();
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("a corrupt stored route does not stop the other routes' reconcile, and no orphan is deleted until it is repaired", async () => {
    const { ssm, doc } = platform.deployment.clients;
    const routesPath = platform.deployment.platformEnvironment["ROUTES_PATH"];
    if (!routesPath) throw new Error("the test expects the SSM route store");
    const broken = `${routesPath}broken`;
    await ssm.send(
      new PutParameterCommand({ Name: broken, Type: "String", Value: "{not json", Overwrite: true }),
    );
    const orphan = { queueUrl: platform.queueUrl("steady").replace(/steady$/, "removed"), token: "x" };
    await doc.send(
      new PutCommand({
        TableName: platform.deployment.tables.tokens,
        Item: { ...orphan, loopId: "gone", createdAt: Date.now(), lastUsed: Date.now() },
      }),
    );
    // A route whose only token is gone: reconcile must bring it back to minLoops.
    const restoredUrl = platform.queueUrl("restored");
    const [lost] = await platform.tokens(restoredUrl);
    if (!lost) throw new Error("the restored route has no token");
    await doc.send(
      new DeleteCommand({
        TableName: platform.deployment.tables.tokens,
        Key: { queueUrl: restoredUrl, token: lost.token },
      }),
    );

    const during = (await platform.restartNow()) as RestartResult;
    expect(during.unreadableRoutes).toBe(1);
    expect(during.started).toBe(1);
    expect(during.deleted).toBe(0);
    expect(await platform.tokens(restoredUrl)).toHaveLength(1);
    expect(await platform.tokens(platform.queueUrl("steady"))).toHaveLength(1);
    expect(await platform.tokens(orphan.queueUrl)).toHaveLength(1);

    // Repaired (removed): the route list is complete again, and the orphan goes.
    await ssm.send(new DeleteParameterCommand({ Name: broken }));
    const after = (await platform.restartNow()) as RestartResult;
    expect(after.unreadableRoutes).toBe(0);
    expect(after.deleted).toBe(1);
    expect(await platform.tokens(orphan.queueUrl)).toEqual([]);
  }, 60_000);
});

describe("restart after an incident left hundreds of tokens stale", () => {
  const queues = Array.from({ length: 10 }, (_, i) => `fleet-${i}`);
  const tokensPerQueue = 30;
  const intervalSec = 15;
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: queues.map((name) => ({
          queue: { name },
          function: "noop",
          minLoops: 0,
          maxLoops: tokensPerQueue,
          concurrency: 1,
        })),
        // A long start grace: a claimed token whose loop still waits for the small account's
        // concurrency counts as starting for the whole test, so a second claim of it would be a bug.
        local: { restart: { intervalSec, staleAfterSec: 8, startGraceSec: 600 } },
        // 300 tokens on purpose (an incident's worth), past the registry's default ceiling of 200.
        limits: { maxLoopsTotal: 300 },
      }),
      // A small account on purpose: the started loops queue as async events instead of taking this
      // machine's cores, so the deploy's concurrency check is told this over-commit is meant. Loops
      // that get to run keep running (and renewing) for the whole test, so none goes stale meanwhile.
      { scheduler: false, allowOvercommit: true, pollerTimeoutSec: 300 },
      { lambdaConcurrency: 8 },
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("restart runs claim and start every one of several hundred stale tokens, none twice, each run inside its time box", async () => {
    const { doc } = platform.deployment.clients;
    const deadAt = Date.now() - 60_000;
    const rows = queues.flatMap((name) =>
      Array.from({ length: tokensPerQueue }, (_, i) => ({
        queueUrl: platform.queueUrl(name),
        token: `t-${i}`,
        loopId: `dead-${name}-${i}`,
        createdAt: deadAt,
        startedAt: deadAt,
        lastUsed: deadAt + i,
      })),
    );
    for (let i = 0; i < rows.length; i += 25) {
      const chunk = rows.slice(i, i + 25);
      let items: Record<string, unknown>[] | undefined = chunk.map((Item) => ({ PutRequest: { Item } }));
      while (items && items.length > 0) {
        const out = await doc.send(
          new BatchWriteCommand({ RequestItems: { [platform.deployment.tables.tokens]: items as never } }),
        );
        items = out.UnprocessedItems?.[platform.deployment.tables.tokens] as
          | Record<string, unknown>[]
          | undefined;
      }
    }
    const key = (t: { queueUrl: string; token: string }) => `${t.queueUrl} ${t.token}`;
    const snapshot = async () => {
      const loopIds = new Map<string, string>();
      for (const name of queues) {
        for (const t of await platform.tokens(platform.queueUrl(name))) loopIds.set(key(t), t.loopId);
      }
      return loopIds;
    };

    // Restart as its function builds it, run here: the loops it starts fill this small account, so
    // invoking the restart function itself again would be throttled until they are all done.
    const routesPath = platform.deployment.platformEnvironment["ROUTES_PATH"];
    if (!routesPath) throw new Error("the test expects the SSM route store");
    const summaries: LogFields[] = [];
    const restart = createRestart({
      leases: createDynamoLeaseStore({ doc, tableName: platform.deployment.tables.tokens }),
      routes: createSsmRouteStore({ ssm: platform.deployment.clients.ssm, path: routesPath }),
      starter: createLambdaLoopStarter(platform.deployment.clients.lambda, PlatformFunction.Poller),
      lock: createDynamoQueueScalingLock({ doc, tableName: ScalingEventsTable.name }),
      clock: systemClock,
      logger: {
        ...silentLogger,
        info: (m, f) => void (m.startsWith("restart: done") && f && summaries.push(f)),
        warn: (m, f) => void (m.startsWith("restart: done") && f && summaries.push(f)),
      },
      settings: { staleAfterMs: 8_000, startGraceMs: 600_000 },
    });

    const invokes = () => platform.cloud.requests.snapshot()["lambda:Invoke"] ?? 0;
    const invokesBefore = invokes();
    const runFrom = Date.now();
    const claimsOf = new Map<string, number>();
    let before = await snapshot();
    const runs: RestartReport[] = [];
    // However many runs a loaded machine needs: each run claims what its time box allows.
    await waitFor(
      async () => {
        const report = await restart.run({ budgetMs: intervalSec * 1000 });
        runs.push(report);
        const after = await snapshot();
        for (const [k, loopId] of after) {
          if (before.get(k) !== loopId) claimsOf.set(k, (claimsOf.get(k) ?? 0) + 1);
        }
        before = after;
        return report.stale === 0 && report.left.claims === 0 && !report.left.scanIncomplete;
      },
      { timeoutMs: 120_000, intervalMs: 0, description: "restart runs to leave no stale token" },
    );

    // Every stale token claimed exactly once, and its loop started.
    expect(claimsOf.size).toBe(rows.length);
    expect([...claimsOf.values()].every((n) => n === 1)).toBe(true);
    expect(runs.reduce((sum, r) => sum + r.claimed.length, 0)).toBe(rows.length);
    expect(runs.flatMap((r) => r.errors)).toEqual([]);
    expect(invokes() - invokesBefore).toBeGreaterThanOrEqual(rows.length);
    // Each run's one summary line says it kept inside its time box.
    expect(summaries).toHaveLength(runs.length);
    for (const line of summaries) {
      expect(line["budgetMs"]).toBe(intervalSec * 1000);
      expect(Number(line["elapsedMs"])).toBeLessThanOrEqual(intervalSec * 1000);
    }

    for (const name of queues) {
      const tokens = await platform.tokens(platform.queueUrl(name));
      expect(tokens).toHaveLength(tokensPerQueue);
      for (const token of tokens) {
        expect(token.loopId.startsWith("dead-")).toBe(false);
        expect(token.startedAt).toBeGreaterThanOrEqual(runFrom);
      }
    }
    // The started loops run (as many at once as the account allows) and heartbeat their tokens.
    await waitFor(
      async () => {
        const tokens = (await Promise.all(queues.map((q) => platform.tokens(platform.queueUrl(q))))).flat();
        return tokens.filter((t) => (t.lastUsed ?? 0) >= runFrom).length >= 8;
      },
      { timeoutMs: 30_000, description: "as many started loops as the account runs at once to heartbeat" },
    );
  }, 180_000);
});

describe("restart when a claimed loop cannot be started", () => {
  const startGraceSec = 3;
  const staleAfterSec = 60;
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [{ queue: { name: "grace" }, function: "noop" }],
        local: { restart: { intervalSec: 1, staleAfterSec, startGraceSec } },
      }),
      { scheduler: false },
    );
    await platform.restartNow();
  }, 120_000);
  afterAll(async () => {
    platform?.cloud.faults.set([]);
    await platform?.stop();
  });

  it("retries the start after the start grace, not the stale threshold, since the claim kept lastUsed", async () => {
    const url = platform.queueUrl("grace");
    const [running] = await platform.tokens(url);
    if (!running) throw new Error("no token on grace");
    // The loop died two minutes ago (its row says so); the running invocation ends at its next heartbeat.
    const deadAt = Date.now() - 120_000;
    await platform.deployment.clients.doc.send(
      new PutCommand({
        TableName: platform.deployment.tables.tokens,
        Item: {
          queueUrl: url,
          token: running.token,
          loopId: "dead",
          createdAt: deadAt,
          startedAt: deadAt,
          lastUsed: deadAt,
        },
      }),
    );
    // Every start restart makes is refused, as a throttled account would.
    platform.cloud.faults.set([
      {
        service: "lambda",
        operation: "Invoke",
        rate: 1,
        caller: "restart",
        error: { status: 429, type: "TooManyRequestsException" },
      },
    ]);
    const failed = (await platform.restartNow()) as RestartResult;
    expect(failed).toMatchObject({ stale: 1, claimed: 0 });
    expect(failed.errors).toBeGreaterThanOrEqual(1);
    const [claimed] = await platform.tokens(url);
    expect(claimed?.loopId).not.toBe("dead");
    expect(claimed?.lastUsed).toBe(deadAt);
    const claimedAt = claimed?.startedAt ?? 0;
    expect(claimedAt).toBeGreaterThan(deadAt);

    platform.cloud.faults.set([]);
    // Within the grace the claimed token is starting, not stale.
    expect(((await platform.restartNow()) as RestartResult).stale).toBe(0);
    const retry = await waitFor(
      async () => {
        const result = (await platform.restartNow()) as RestartResult;
        return result.claimed === 1 ? result : undefined;
      },
      {
        timeoutMs: 20_000,
        intervalMs: 500,
        description: "restart to claim the token again after the start grace",
      },
    );
    expect(retry.errors).toBe(0);
    const retriedAfterMs = Date.now() - claimedAt;
    expect(retriedAfterMs).toBeGreaterThan(startGraceSec * 1000);
    expect(retriedAfterMs).toBeLessThan(staleAfterSec * 1000);
    // The loop started this time heartbeats its token.
    await waitFor(
      async () => {
        const [token] = await platform.tokens(url);
        return (
          token && token.loopId !== claimed?.loopId && (token.lastUsed ?? 0) >= (token.startedAt ?? Infinity)
        );
      },
      { timeoutMs: 20_000, description: "the retried loop's first heartbeat" },
    );
  }, 90_000);
});
