import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/*
 * Renewing the lease (docs/protocol.md): errors that retrying cannot fix (here AccessDenied on the tokens table, as
 * when the poller's policy was removed) end the loop without recursing, instead of heartbeating
 * "unverified" for ever; restart brings a loop back once the table can be used again.
 */
describe("a tokens table that denies the poller", () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform(
      testRegistry({
        routes: [{ queue: { name: "denied", visibilityTimeoutSec: 3 }, function: "record", minLoops: 1 }],
        local: { restart: { intervalSec: 1, staleAfterSec: 6, startGraceSec: 6 } },
      }),
    );
  }, 120_000);
  afterAll(async () => {
    platform?.cloud.faults.set([]);
    await platform?.stop();
  });

  const outcomes = () =>
    platform.logs
      .filter((l) => l.message.includes('"poller invocation done"'))
      .map((l) => (JSON.parse(l.message) as { status: string; loopId: string }).status);

  it("ends the loop without recursing while access is denied, and restart brings it back once it returns", async () => {
    const url = platform.queueUrl("denied");
    await waitFor(async () => (await platform.tokens(url))[0]?.lastUsed !== undefined, {
      timeoutMs: 20_000,
      description: "the loop heartbeating",
    });
    // Only the poller's writes are refused: restart's own claims go through, as when one role lost its policy.
    platform.cloud.faults.set([
      {
        service: "dynamodb",
        operation: "UpdateItem",
        rate: 1,
        caller: "poller",
        error: {
          status: 400,
          type: "AccessDeniedException",
          message: "not authorized to perform dynamodb:UpdateItem",
        },
      },
    ]);
    const before = outcomes().length;
    // The loop ends at its next renewal; restart claims the stale token and starts a replacement,
    // which the table refuses too: two invocations ended by it, and none recursed in between.
    await waitFor(
      () =>
        outcomes()
          .slice(before)
          .filter((s) => s === "store-unusable").length >= 2,
      {
        timeoutMs: 45_000,
        description: "the loop and its replacement ended by the refused heartbeat",
      },
    );
    expect(
      platform.logs.some((l) => l.message.includes("restore its IAM policy")),
      "the error says what to fix",
    ).toBe(true);
    const during = outcomes().slice(before);
    expect(during.slice(during.indexOf("store-unusable"))).not.toContain("recursed");

    platform.cloud.faults.set([]);
    const restoredAt = Date.now();
    await waitFor(async () => ((await platform.tokens(url))[0]?.lastUsed ?? 0) > restoredAt, {
      timeoutMs: 30_000,
      description: "restart bringing a loop back once access returned",
    });
    const ids = await platform.send("denied", [{ n: 1 }, { n: 2 }]);
    await waitFor(async () => (await platform.processed(ids)).size === 2, {
      timeoutMs: 20_000,
      description: "the new loop dispatching",
    });
  }, 120_000);
});
