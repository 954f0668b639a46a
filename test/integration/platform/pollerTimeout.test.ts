import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTestPlatform,
  type TestPlatform,
  type TokenRow,
  testRegistry,
} from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/**
 * Issue 3, acceptance 6: a poller invocation killed by its own timeout (not a killed environment)
 * is replaced within the stale threshold plus one restart interval.
 *
 * The poller budgets its cycles so that it never reaches its timeout unless a call hangs, so the
 * test hangs one: the edge holds every DynamoDB UpdateItem made from inside the `poller` function
 * (its heartbeats) far beyond the poller's timeout. The rule is scoped by `caller`, so restart's
 * claims, UpdateItems on the same table, go through.
 *
 * When the fault is removed matters. Lambda retries a timed-out async invocation twice with the
 * same event (same loopId): remove the fault while a retry is still to come and that retry
 * heartbeats and carries the old loop on, so nothing would show that restart replaces a dead
 * loop. So the fault stays until Lambda has given the loop's event up (three timeouts, then
 * `asyncDropped`); from then on no invocation of the old loop exists, and only restart can bring
 * the token back. `staleAfterSec` is longer than that retry chain, so restart cannot claim while
 * the fault still holds the new loop's heartbeats too (the test checks this ordering): the new
 * loop is then due one restart interval after the moment restart could first know the old one
 * was dead, the later of its last heartbeat + staleAfter and the fault's removal.
 */

const pollerTimeoutSec = 5; // one 4 s cycle (1 s wait + 2 s handler + 1 s margin) fits
// The old loop's event lives for about 3 × 5 s of timeouts + 1 s + 2 s between retries + 3 cold
// starts, ~20 s; staleness must come later, so that only restart, after the fault, replaces it.
const staleAfterSec = 30;
const restartIntervalSec = 1;
/** Restart's own run, the Invoke of the new loop, its cold start and first heartbeat; the test's 100 ms poll. */
const slackMs = 4_000;

type TokenWithFence = TokenRow & { invocationId?: string };

describe("a poller invocation ended by its timeout", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [{ queue: { name: "hung", visibilityTimeoutSec: 3 }, function: "record" }],
        local: {
          restart: {
            intervalSec: restartIntervalSec,
            staleAfterSec,
            startGraceSec: staleAfterSec,
          },
        },
      }),
      // The registry refuses a poller timeout under 10 s; 5 s keeps Lambda's retry chain short.
      { pollerTimeoutSec },
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("is retried by Lambda until its event is dropped, then restart replaces the loop within staleAfter plus one interval", async () => {
    const url = platform.queueUrl("hung");
    const lambda = platform.cloud.lambda;
    const tokens = async () => (await platform.tokens(url)) as TokenWithFence[];
    const old = await waitFor(
      async () => {
        const [token, ...others] = await tokens();
        return token?.invocationId !== undefined && others.length === 0 ? token : undefined;
      },
      { timeoutMs: 20_000, description: "one loop heartbeating on the token" },
    );

    // An attempt ended by Lambda's timeout (the poller's middy handler has no early timeout).
    const timedOutAttempts = () =>
      platform.logs.filter(
        (l) =>
          l.fields["functionName"] === "poller" &&
          /^async invocation failed/.test(l.message) &&
          l.fields["errorType"] === "Sandbox.Timedout",
      ).length;
    const timedOutBefore = timedOutAttempts();
    const droppedBefore = lambda.stats("poller").asyncDropped;
    // Longer than the whole test: a held heartbeat never reaches the table late within it.
    platform.cloud.faults.set([
      { service: "dynamodb", operation: "UpdateItem", rate: 1, delayMs: 120_000, caller: "poller" },
    ]);
    // The old loop's last heartbeat: heartbeats only move lastUsed forward, and none lands after
    // the fault took hold, so the largest value seen under the old loopId is the last one.
    let lastHeartbeat = old.lastUsed ?? 0;
    const watchOldLoop = async () => {
      const [token] = await tokens();
      if (token?.loopId === old.loopId) lastHeartbeat = Math.max(lastHeartbeat, token.lastUsed ?? 0);
      return token;
    };

    await waitFor(
      async () => {
        await watchOldLoop();
        return timedOutAttempts() > timedOutBefore;
      },
      { timeoutMs: 15_000, description: "a poller invocation to end by its timeout" },
    );
    await waitFor(
      async () => {
        await watchOldLoop();
        return lambda.stats("poller").asyncDropped > droppedBefore;
      },
      {
        timeoutMs: 40_000,
        description: "Lambda to give the loop's event up after its two retries timed out too",
      },
    );
    // The first attempt and both retries ended by their timeout.
    expect(timedOutAttempts() - timedOutBefore).toBeGreaterThanOrEqual(3);
    const atRemoval = await watchOldLoop();
    platform.cloud.faults.set([]);
    const removedAt = Date.now();
    expect(atRemoval?.loopId, "restart claimed before the fault was removed: raise staleAfterSec").toBe(
      old.loopId,
    );

    const restartCouldKnowAt = Math.max(lastHeartbeat + staleAfterSec * 1_000, removedAt);
    const deadline = restartCouldKnowAt + restartIntervalSec * 1_000 + slackMs;
    // A heartbeat, not just a claim: a claim sets loopId and lastUsed but clears the invocation
    // fence's slot, which only the new loop's first heartbeat fills.
    const replaced = await waitFor(
      async () => {
        const [token] = await tokens();
        return token && token.loopId !== old.loopId && token.invocationId !== undefined ? token : undefined;
      },
      {
        timeoutMs: Math.max(1_000, deadline - Date.now()),
        intervalMs: 100,
        description: "restart to claim the token and a new loop to heartbeat on it",
      },
    );
    expect(replaced.token).toBe(old.token);
    expect(replaced.lastUsed ?? 0).toBeGreaterThanOrEqual(lastHeartbeat + staleAfterSec * 1_000);

    const [afterward] = await platform.send("hung", [{ afterTimeout: true }]);
    await waitFor(async () => (await platform.processed([afterward!])).size === 1, {
      timeoutMs: 15_000,
      description: "a message sent after the replacement recorded",
    });
  }, 90_000);
});
