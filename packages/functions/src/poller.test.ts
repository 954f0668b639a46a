import {
  emptyRestartReport,
  type InvocationContext,
  type LoopEvent,
  type LoopOutcome,
  type Poller,
} from "@sqs-dispatcher/core";
import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createPollerHandler, pollerFromEnv } from "./poller.js";
import { createRestartHandler } from "./restart.js";
import { createPowertoolsLogger } from "./runtime/functionLogger.js";
import {
  describeDroppedEvent,
  droppedEventLogChars,
  parsePollerEvent,
  queueUrlScopeFromEnv,
} from "./runtime/pollerEvent.js";

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
    ["a 2 KB token (past DynamoDB's sort-key limit)", { ...event, token: "t".repeat(2_048) }],
    ["a token of 129 characters", { ...event, token: "t".repeat(129) }],
    ["a token with a character outside [A-Za-z0-9_-]", { ...event, token: "t/1" }],
    ["a loopId with a space", { ...event, loopId: "loop 1" }],
    ["a queueUrl of another host", { ...event, queueUrl: "https://evil.example/123456789012/orders" }],
    ["a queueUrl over 2,048 characters", { ...event, queueUrl: `${event.queueUrl}${"x".repeat(2_048)}` }],
    ["a queueUrl with a query", { ...event, queueUrl: `${event.queueUrl}?Action=ReceiveMessage` }],
    ["a queueUrl without an account", { ...event, queueUrl: "https://sqs.us-east-1.amazonaws.com/orders" }],
    ["a scheduled event", { source: "aws.events", "detail-type": "Scheduled Event" }],
    ["null", null],
  ])("drops a malformed event (%s) without running the loop or throwing", async (_name, bad) => {
    const p = recordingPoller();
    const handler = createPollerHandler(p.make, logger);
    const result = await handler(bad, context(55_000));
    expect(result).toMatchObject({ status: "dropped" });
    expect(p.calls).toHaveLength(0);
  });

  it("accepts the identities the platform makes: UUIDs, slot ids, local edge URLs", async () => {
    const p = recordingPoller();
    const handler = createPollerHandler(p.make, logger);
    const made = {
      queueUrl: "http://127.0.0.1:4566/000000000000/payments.fifo",
      token: "0b8f8a40-3c0e-4a57-9a43-6c1c3f0c2f11",
      loopId: `slot-${"1".repeat(123)}`,
    };
    expect(await handler(made, context(55_000))).toEqual(outcome);
    expect(p.calls[0]?.event).toEqual(made);
  });

  it("names each broken rule of a dropped event and logs no more than a bounded prefix of it", async () => {
    expect(parsePollerEvent({ ...event, token: "t".repeat(2_048), loopId: "" })).toEqual({
      ok: false,
      issues: [
        "token: token must be 1-128 letters, digits, '-' or '_'",
        "loopId: loopId must be 1-128 letters, digits, '-' or '_'",
      ],
    });
    const described = describeDroppedEvent({ ...event, token: "t".repeat(4_000) });
    expect(described.length).toBeLessThan(droppedEventLogChars + 40);
    expect(described).toMatch(/… \(\d+ characters\)$/);
  });

  it("holds queue URLs to the function's place: SQS of its partition on AWS, the edge locally", async () => {
    const onAws = queueUrlScopeFromEnv({ AWS_REGION: "us-east-1" });
    expect(onAws).toEqual({ kind: "aws", region: "us-east-1" });
    const p = recordingPoller();
    const handler = createPollerHandler(p.make, logger, onAws);
    // Lambda's own runtime API listens on loopback: a loop on AWS must never point there.
    const loopback = { ...event, queueUrl: "http://127.0.0.1:9001/000000000000/orders" };
    expect(await handler(loopback, context(55_000))).toMatchObject({ status: "dropped" });
    expect(await handler(event, context(55_000))).toEqual(outcome);
    const local = queueUrlScopeFromEnv({
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
    });
    expect(local).toEqual({ kind: "local", edge: "http://127.0.0.1:4566" });
    expect(parsePollerEvent(event, local)).toEqual({
      ok: false,
      issues: ["queueUrl: queueUrl must be a queue of the local cloud's edge (http://127.0.0.1:4566)"],
    });
    expect(
      parsePollerEvent({ ...event, queueUrl: "http://127.0.0.1:4566/000000000000/orders" }, local).ok,
    ).toBe(true);
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
            clamped: [{ queueName: "q", reason: "clamped: minLoops 5000 > 50" }],
            left,
            shared: { claimed: [], started: [], joined: [], left: [], ended: [] },
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
      clamped: 1,
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
          return emptyRestartReport();
        },
      }),
      logger,
      120_000,
    );
    await handler({}, context(60_000));
    expect(budgets).toEqual([58_000]);
  });
});
