import type { Route } from "@sqs-dispatcher/config";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Clock, timerSleep } from "../clock.js";
import type { FunctionInvoker, InvokeResult } from "../dispatch/ports.js";
import type { SqsEvent } from "../dispatch/sqsEvent.js";
import { FakeLeaseStore } from "../lease/fakeLeaseStore.testkit.js";
import { groupLeaseKey, type SharedLoopEvent } from "../lease/sharedGroup.js";
import type { Logger } from "../logger.js";
import type { EntryFailures } from "../queue/ports.js";
import type { PollerSettings } from "./createPoller.js";
import { createSharedLoop } from "./createSharedLoop.js";
import { LoopOutcomeStatus } from "./loopOutcome.js";
import type { LoopStarter, QueueClient, QueueMessage, ReceiveOptions } from "./ports.js";

const base = "https://sqs.us-east-1.amazonaws.com/123456789012";
const alpha = `${base}/alpha`;
const beta = `${base}/beta`;
const event: SharedLoopEvent = { group: "g-0", loopId: "loop-1" };
const settings: PollerSettings = { waitTimeSec: 1, marginSec: 1, maxHandlerTimeoutSec: 5, renewEverySec: 1 };

const clock: Clock = {
  now: () => Date.now(),
  monotonic: () => Date.now(),
  sleep: timerSleep,
};

function message(id: string): QueueMessage {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify({ id }),
    md5OfBody: "md5",
    attributes: { ApproximateReceiveCount: "1" },
    messageAttributes: {},
  };
}

/** In-memory queues by URL: each hands out its messages once and long-polls (on fake timers) when empty. */
class FakeQueues implements QueueClient {
  pending = new Map<string, QueueMessage[]>();
  receives: { url: string; at: number }[] = [];
  deleted: string[] = [];

  send(url: string, ...messages: QueueMessage[]): void {
    this.pending.set(url, [...(this.pending.get(url) ?? []), ...messages]);
  }

  async receive(url: string, options: ReceiveOptions): Promise<QueueMessage[]> {
    this.receives.push({ url, at: Date.now() });
    const waiting = this.pending.get(url) ?? [];
    if (waiting.length === 0) {
      await clock.sleep(options.waitTimeSec * 1000);
      return [];
    }
    return waiting.splice(0, options.maxMessages);
  }

  async deleteBatch(_url: string, handles: readonly string[]): Promise<EntryFailures> {
    this.deleted.push(...handles);
    return { retryable: [], rejected: [] };
  }

  async changeVisibility(): Promise<EntryFailures> {
    return { retryable: [], rejected: [] };
  }

  async visibilityTimeoutSec(): Promise<number> {
    return 30;
  }
}

class FakeInvoker implements FunctionInvoker {
  invoked: { functionName: string; messageIds: string[]; at: number }[] = [];
  async probe(): Promise<void> {}
  async invoke(functionName: string, payloadJson: string): Promise<InvokeResult> {
    const sqs = JSON.parse(payloadJson) as SqsEvent;
    this.invoked.push({ functionName, messageIds: sqs.Records.map((r) => r.messageId), at: Date.now() });
    return { payload: null };
  }
}

function route(queueUrl: string, overrides: Partial<Route> = {}): Route {
  return {
    queueName: queueUrl.slice(queueUrl.lastIndexOf("/") + 1),
    queueUrl,
    functionName: `fn-${queueUrl.slice(queueUrl.lastIndexOf("/") + 1)}`,
    batchSize: 10,
    batchWindowSec: 0,
    concurrency: 1,
    minLoops: 0,
    maxLoops: 1,
    scaleStep: 1,
    alarms: [],
    scaling: { mode: "alarm" },
    paused: false,
    idle: "shared",
    source: "deploy",
    updatedAt: 0,
    ...overrides,
  };
}

interface Harness {
  leases: FakeLeaseStore;
  queue: FakeQueues;
  invoker: FakeInvoker;
  started: SharedLoopEvent[];
  routes: Map<string, Route>;
  errors: string[];
  /** Heartbeats that reached the lease row, by the time they were made. */
  heartbeats: number[];
  /** Replaces the logger's `debug` (what a lane logs while its member has no route). */
  debug: Logger["debug"];
  run(invocationMs?: number): Promise<{ status: string; endedAt: number; deadline: number }>;
}

function harness(members: string[]): Harness {
  const leases = new FakeLeaseStore();
  const now = Date.now();
  leases.put({ ...groupLeaseKey(event.group), loopId: event.loopId, createdAt: now, members });
  const queue = new FakeQueues();
  const invoker = new FakeInvoker();
  const started: SharedLoopEvent[] = [];
  const starter: LoopStarter<SharedLoopEvent> = { start: async (e) => void started.push(e) };
  const routes = new Map(members.map((url) => [url, route(url)]));
  const errors: string[] = [];
  const heartbeats: number[] = [];
  leases.beforeOp = (op) => void (op === "heartbeat" && heartbeats.push(Date.now()));
  const h: Harness = {
    leases,
    queue,
    invoker,
    started,
    routes,
    errors,
    heartbeats,
    debug: () => {},
    async run(invocationMs = 30_000) {
      const shared = createSharedLoop({
        leases,
        groups: leases,
        routes: { resolve: async (url) => routes.get(url) },
        queue,
        invoker,
        starter,
        clock,
        logger: {
          debug: (m, f) => h.debug(m, f),
          info: () => {},
          warn: () => {},
          error: (m) => void errors.push(m),
        },
        settings,
        retry: { baseMs: 100, maxMs: 2_000, random: () => 0.5 },
      });
      const deadline = Date.now() + invocationMs;
      const promise = shared.run(event, { remainingTimeMs: () => deadline - Date.now(), requestId: "req-1" });
      await vi.runAllTimersAsync();
      const outcome = await promise;
      return { status: outcome.status, endedAt: Date.now(), deadline };
    },
  };
  return h;
}

/** A fault inside a lane: the logger throws the first `times` times a lane idles for want of a route. */
function failingIdle(h: Harness, times: number): () => number {
  let thrown = 0;
  h.debug = (message) => {
    if (message.includes("no route") && thrown < times) {
      thrown++;
      throw new Error("log sink failed");
    }
  };
  return () => thrown;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("shared loop", () => {
  it("long-polls every member and hands each member's batch to its own route's handler", async () => {
    const h = harness([alpha, beta]);
    h.queue.send(alpha, message("a1"));
    h.queue.send(beta, message("b1"), message("b2"));
    const { status } = await h.run();
    expect(status).toBe(LoopOutcomeStatus.Recursed);
    expect(h.invoker.invoked.map(({ functionName, messageIds }) => ({ functionName, messageIds }))).toEqual(
      expect.arrayContaining([
        { functionName: "fn-alpha", messageIds: ["a1"] },
        { functionName: "fn-beta", messageIds: ["b1", "b2"] },
      ]),
    );
    expect(h.queue.deleted.sort()).toEqual(["rh-a1", "rh-b1", "rh-b2"]);
    expect(h.started).toEqual([event]);
  });

  it("polls a member again within the invocation after an error thrown inside its lane ended it", async () => {
    const h = harness([alpha, beta]);
    // alpha has no route at first: its lane idles, and the idle's log line throws once.
    h.routes.delete(alpha);
    const thrown = failingIdle(h, 1);
    const startedAt = Date.now();
    // The route comes back and a message arrives a few seconds in.
    setTimeout(() => {
      h.routes.set(alpha, route(alpha));
      h.queue.send(alpha, message("a1"));
    }, 3_000);
    const { status } = await h.run(30_000);
    expect(thrown()).toBe(1);
    expect(status).toBe(LoopOutcomeStatus.Recursed);
    const handled = h.invoker.invoked.find((i) => i.messageIds.includes("a1"));
    // Handled by this invocation, soon after it arrived: not left for the next one while beta's lane renews.
    expect(handled).toBeDefined();
    expect(handled!.at - startedAt).toBeLessThan(10_000);
    expect(h.queue.deleted).toContain("rh-a1");
    expect(h.errors.some((e) => /lane failed/.test(e))).toBe(true);
  });

  it("does not renew the group's lease for members it cannot poll: a lane that keeps failing ends the invocation early", async () => {
    const h = harness([alpha, beta]);
    h.routes.delete(alpha);
    failingIdle(h, Number.POSITIVE_INFINITY);
    const { status, endedAt, deadline } = await h.run(120_000);
    // The invocation recursed long before its time was up: a fresh one polls alpha, and until then
    // nothing renews the lease for a member whose lane is dead.
    expect(status).toBe(LoopOutcomeStatus.Recursed);
    expect(h.started).toEqual([event]);
    expect(deadline - endedAt).toBeGreaterThan(60_000);
    const lastHeartbeat = Math.max(...h.heartbeats);
    expect(deadline - lastHeartbeat).toBeGreaterThan(60_000);
    expect(h.errors.some((e) => /kept failing/.test(e))).toBe(true);
  });

  it("renews the lease of a group without members until its time is up", async () => {
    const h = harness([]);
    const { status, deadline } = await h.run(60_000);
    expect(status).toBe(LoopOutcomeStatus.Recursed);
    // Renewed on the timer (every second here) until too little time is left for a member's cycle
    // (receive, handler with its cold-start allowance, margin: 17 s here), not only at its start.
    expect(h.heartbeats.length).toBeGreaterThan(30);
    expect(deadline - Math.max(...h.heartbeats)).toBeLessThan(20_000);
  });

  it("ends without recursing when restart deleted the group's row (revoked)", async () => {
    const h = harness([alpha]);
    h.leases.rows.clear();
    const { status } = await h.run();
    expect(status).toBe(LoopOutcomeStatus.Revoked);
    expect(h.started).toHaveLength(0);
    expect(h.queue.receives).toHaveLength(0);
  });
});
