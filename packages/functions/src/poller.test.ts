import type { InvocationContext, LoopEvent, LoopOutcome, Poller } from "@sqs-dispatcher/core";
import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createPollerHandler, pollerFromEnv } from "./poller.js";
import { createRestartHandler } from "./restart.js";
import { createPowertoolsLogger } from "./runtime/functionLogger.js";

const outcome: LoopOutcome = {
  status: "recursed",
  cycles: 1,
  received: 0,
  succeeded: 0,
  failed: 0,
  undeleted: 0,
  released: 0,
  maxInFlight: 0,
};

function context(remainingMs: number): Context {
  return {
    awsRequestId: "req-1",
    functionName: "poller",
    getRemainingTimeInMillis: () => remainingMs,
  } as Context;
}

function recordingPoller() {
  const calls: { event: LoopEvent; remaining: number; requestId: string | undefined }[] = [];
  let built = 0;
  const make = (): Poller => {
    built++;
    return {
      run: async (event: LoopEvent, ctx: InvocationContext) => {
        calls.push({ event, remaining: ctx.remainingTimeMs(), requestId: ctx.requestId });
        return outcome;
      },
    };
  };
  return { calls, make, built: () => built };
}

const logger = createPowertoolsLogger("poller-test");
logger.setLogLevel("SILENT");
const event = {
  queueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
  token: "t",
  loopId: "l",
};

describe("poller handler", () => {
  it("runs one invocation of the loop with the Lambda context's remaining time, building the poller once", async () => {
    const p = recordingPoller();
    const handler = createPollerHandler(p.make, logger);
    expect(await handler(event, context(55_000))).toEqual(outcome);
    await handler(event, context(40_000));
    expect(p.calls.map((c) => c.remaining)).toEqual([55_000, 40_000]);
    expect(p.calls[0]).toMatchObject({ event, requestId: "req-1" });
    expect(p.built()).toBe(1);
  });

  it.each([
    ["a missing loopId", { queueUrl: event.queueUrl, token: "t" }],
    ["an unknown key", { ...event, extra: 1 }],
    ["a queueUrl that is not a URL", { ...event, queueUrl: "orders" }],
    ["an empty token", { ...event, token: "" }],
    ["a scheduled event", { source: "aws.events", "detail-type": "Scheduled Event" }],
    ["null", null],
  ])("drops a malformed event (%s) without running the loop or throwing", async (_name, bad) => {
    const p = recordingPoller();
    const handler = createPollerHandler(p.make, logger);
    const result = await handler(bad, context(55_000));
    expect(result).toMatchObject({ status: "dropped" });
    expect(p.calls).toHaveLength(0);
  });

  it("names the missing variable when deployed without its environment", () => {
    expect(() => pollerFromEnv(logger, { AWS_REGION: "us-east-1" })).toThrow(
      /TOKENS_TABLE|POLLER_WAIT_TIME_SEC/,
    );
  });
});

describe("restart handler", () => {
  it("runs restart time-boxed to its interval and summarises its report", async () => {
    const budgets: (number | undefined)[] = [];
    const left = { claims: 4, routes: 0, orphans: 0, scanIncomplete: false };
    const handler = createRestartHandler(
      () => ({
        run: async (options) => {
          budgets.push(options?.budgetMs);
          return {
            pages: 2,
            scanned: 3,
            stale: 5,
            claimed: [{ queueUrl: "u", token: "t", loopId: "n" }],
            claimLost: [],
            started: [],
            deleted: [{ queueUrl: "u", token: "x" }],
            unreadableRoutes: [],
            left,
            errors: [],
          };
        },
      }),
      logger,
      30_000,
    );
    expect(await handler({}, context(60_000))).toEqual({
      scanned: 3,
      pages: 2,
      stale: 5,
      claimed: 1,
      started: 0,
      deleted: 1,
      unreadableRoutes: 0,
      errors: 0,
      left,
    });
    // The interval is shorter than the remaining time: the run must end before the next one starts.
    expect(budgets).toEqual([30_000]);
  });

  it("time-boxes a run to the invocation's remaining time, less a margin to return", async () => {
    const budgets: (number | undefined)[] = [];
    const handler = createRestartHandler(
      () => ({
        run: async (options) => {
          budgets.push(options?.budgetMs);
          return {
            pages: 0,
            scanned: 0,
            stale: 0,
            claimed: [],
            claimLost: [],
            started: [],
            deleted: [],
            unreadableRoutes: [],
            left: { claims: 0, routes: 0, orphans: 0, scanIncomplete: false },
            errors: [],
          };
        },
      }),
      logger,
      120_000,
    );
    await handler({}, context(60_000));
    expect(budgets).toEqual([58_000]);
  });
});
