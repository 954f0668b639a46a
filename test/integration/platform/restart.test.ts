import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import { startScheduler } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { holdsFor, waitFor } from "../support/waitFor.js";

interface RestartResult {
  claimed: number;
  started: number;
  deleted: number;
}

const heartbeating = (platform: TestPlatform, queue: string) =>
  waitFor(
    async () => {
      const [token, ...others] = await platform.tokens(platform.queueUrl(queue));
      return token?.lastUsed !== undefined && others.length === 0 ? token : undefined;
    },
    { timeoutMs: 30_000, description: `one heartbeating loop on ${queue}` },
  );

const loopEnded = (platform: TestPlatform, loopId: string) =>
  platform.logs.some((l) => /lease lost/.test(l.message) && l.message.includes(loopId));

describe("revoked and killed loops", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [{ queue: { name: "revoke", visibilityTimeoutSec: 3 }, function: "record" }],
        local: { restart: { intervalSec: 1, staleAfterSec: 6, startGraceSec: 6 } },
      }),
      // Restart runs only when a test says so, so what happens between runs is the loop's own doing.
      { scheduler: false },
    );
    await platform.restartNow();
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("ends a loop whose token was deleted at its next heartbeat; reconcile restores minLoops", async () => {
    const url = platform.queueUrl("revoke");
    const old = await heartbeating(platform, "revoke");
    await platform.deployment.clients.doc.send(
      new DeleteCommand({ TableName: "tokens", Key: { queueUrl: url, token: old.token } }),
    );
    await waitFor(
      () => {
        const stats = platform.cloud.lambda.stats("poller");
        return stats.busy === 0 && stats.asyncPending === 0 && loopEnded(platform, old.loopId);
      },
      { timeoutMs: 20_000, description: "the revoked loop to end without recursing" },
    );

    const ids = await platform.send("revoke", [{ n: 1 }, { n: 2 }, { n: 3 }]);
    // Nobody may receive them now: the only loop was revoked and restart has not run.
    await holdsFor(
      async () => (await platform.depth(url)).visible === 3,
      2_500,
      "the messages to stay in the queue, received by no one",
    );

    const result = (await platform.restartNow()) as RestartResult;
    expect(result.started).toBe(1);
    const fresh = await heartbeating(platform, "revoke");
    expect(fresh.loopId).not.toBe(old.loopId);
    const items = await waitFor(
      async () => {
        const found = await platform.processed(ids);
        return found.size === ids.length ? found : undefined;
      },
      { timeoutMs: 20_000, description: "the messages recorded by the new loop" },
    );
    // First receive of each: the revoked loop never received them.
    for (const item of items.values()) expect(item.receiveCount).toBe(1);
  }, 90_000);

  it("replaces a poller invocation that dies (its environment killed, Lambda's retries too) within staleAfter plus one restart interval", async () => {
    const before = await heartbeating(platform, "revoke");
    const scheduler = startScheduler({
      lambda: platform.deployment.clients.lambda,
      functionName: "restart",
      intervalSec: 1,
      region: platform.cloud.region,
      accountId: platform.cloud.accountId,
    });
    try {
      const lambda = platform.cloud.lambda;
      const droppedBefore = lambda.stats("poller").asyncDropped;
      const killedFrom = Date.now();
      // Lambda retries a failed async invocation twice; kill those too, so only restart can bring the loop back.
      await waitFor(
        async () => {
          await lambda.killEnvironments("poller");
          return lambda.stats("poller").asyncDropped > droppedBefore;
        },
        {
          timeoutMs: 20_000,
          intervalMs: 50,
          description: "the loop's event to be given up after Lambda's retries",
        },
      );
      const [dead] = await platform.tokens(platform.queueUrl("revoke"));
      const lastHeartbeat = dead?.lastUsed ?? killedFrom;
      // Stale after 6 s, restart every 1 s, plus a little for the new invocation to heartbeat.
      const deadline = lastHeartbeat + (6 + 1) * 1_000 + 4_000;
      const replaced = await waitFor(
        async () => {
          const [token] = await platform.tokens(platform.queueUrl("revoke"));
          return token && token.loopId !== before.loopId && (token.lastUsed ?? 0) > lastHeartbeat
            ? token
            : undefined;
        },
        {
          timeoutMs: Math.max(1_000, deadline - Date.now()),
          intervalMs: 100,
          description: "restart to claim the dead loop's token and start a new loop",
        },
      );
      expect(replaced.token).toBe(before.token);
      const [late] = await platform.send("revoke", [{ afterKill: true }]);
      await waitFor(async () => (await platform.processed([late!])).size === 1, {
        timeoutMs: 15_000,
        description: "a message sent after the kill recorded",
      });
    } finally {
      await scheduler.stop();
    }
  }, 60_000);
});

describe("take-over of a loop whose heartbeats stopped landing", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [{ queue: { name: "overrun", visibilityTimeoutSec: 5 }, function: "record" }],
        local: {
          poller: { timeoutSec: 30 },
          restart: { intervalSec: 1, staleAfterSec: 6, startGraceSec: 6 },
        },
      }),
      { scheduler: false },
    );
    await platform.restartNow();
  }, 120_000);
  afterAll(async () => {
    platform?.cloud.faults.set([]);
    await platform?.stop();
  });

  it("claims the stale token with a new loopId exactly once under two concurrent restarts; the old loop ends at its next heartbeat", async () => {
    const url = platform.queueUrl("overrun");
    const old = await heartbeating(platform, "overrun");
    // The loop lives on but none of its lease writes lands (a partition, a hung connection): the
    // edge holds the poller's UpdateItems. Restart's own writes go through.
    platform.cloud.faults.set([
      { service: "dynamodb", operation: "UpdateItem", rate: 1, delayMs: 60_000, caller: "poller" },
    ]);
    await waitFor(
      async () => {
        const [token] = await platform.tokens(url);
        return token?.lastUsed !== undefined && Date.now() - token.lastUsed > 6_500;
      },
      { timeoutMs: 15_000, description: "the loop's token to go stale" },
    );

    const invocationsBefore = platform.cloud.lambda.stats("poller").invocations;
    const results = (await Promise.all([platform.restartNow(), platform.restartNow()])) as RestartResult[];
    platform.cloud.faults.set([]);
    expect(results.map((r) => r.claimed).sort()).toEqual([0, 1]);
    expect(results.every((r) => r.started === 0)).toBe(true);

    const [claimed, ...others] = await platform.tokens(url);
    expect(others).toHaveLength(0);
    expect(claimed?.token).toBe(old.token);
    expect(claimed?.loopId).not.toBe(old.loopId);
    // One new loop started: the winner's.
    await waitFor(() => platform.cloud.lambda.stats("poller").invocations >= invocationsBefore + 1, {
      timeoutMs: 5_000,
      description: "the claimed token's loop to start",
    });

    // The old loop's next heartbeat that lands fails its condition: it ends without recursing.
    await waitFor(() => loopEnded(platform, old.loopId), {
      timeoutMs: 30_000,
      description: "the old loop to end at its next heartbeat",
    });
    const ids = await platform.send("overrun", [{ n: 1 }, { n: 2 }]);
    await waitFor(async () => (await platform.processed(ids)).size === 2, {
      timeoutMs: 20_000,
      description: "the new loop dispatching",
    });
    const [after] = await platform.tokens(url);
    expect(after?.loopId).toBe(claimed?.loopId);
  }, 90_000);
});
