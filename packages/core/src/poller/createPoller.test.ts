import type { Route } from "@sqs-dispatcher/config";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Clock, timerSleep } from "../clock.js";
import type { FunctionInvoker, InvokeResult } from "../dispatch/ports.js";
import type { SqsEvent } from "../dispatch/sqsEvent.js";
import { AmbiguousInvokeError, HandlerNotRunError, NotRunReason } from "../errors.js";
import { FakeLeaseStore } from "../lease/fakeLeaseStore.testkit.js";
import type { InvocationFence, LoopEvent } from "../lease/token.js";
import { silentLogger } from "../logger.js";
import type { EntryFailures } from "../queue/ports.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import { createPoller, type PollerSettings } from "./createPoller.js";
import { type LoopOutcome, LoopOutcomeStatus } from "./loopOutcome.js";
import type { LoopStarter, QueueClient, QueueMessage, ReceiveOptions } from "./ports.js";

const queueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
const fifoUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo";
const event: LoopEvent = { queueUrl, token: "t1", loopId: "loop-1" };
const settings: PollerSettings = { waitTimeSec: 1, marginSec: 1, maxHandlerTimeoutSec: 5 };
const budgetMs = (1 + 5 + 1) * 1000;

const clock: Clock = {
  now: () => Date.now(),
  monotonic: () => Date.now(),
  sleep: timerSleep,
};

function message(id: string, groupId?: string): QueueMessage {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify({ id }),
    md5OfBody: "md5",
    attributes: { ApproximateReceiveCount: "1", ...(groupId ? { MessageGroupId: groupId } : {}) },
    messageAttributes: {},
  };
}

/** An in-memory queue: hands out its messages once, long-polls (on fake timers) when empty. */
class FakeQueue implements QueueClient {
  pending: QueueMessage[] = [];
  receives: { at: number; options: ReceiveOptions }[] = [];
  deleted: string[] = [];
  deleteCalls: string[][] = [];
  visibilityCalls: { at: number; handles: string[]; sec: number }[] = [];
  failDeletesOnce = new Set<string>();
  receiveError: Error | undefined;
  visibilitySec = 30;

  async receive(_url: string, options: ReceiveOptions): Promise<QueueMessage[]> {
    this.receives.push({ at: Date.now(), options });
    if (this.receiveError) {
      const error = this.receiveError;
      this.receiveError = undefined;
      throw error;
    }
    if (this.pending.length === 0) {
      await clock.sleep(options.waitTimeSec * 1000);
      return [];
    }
    return this.pending.splice(0, options.maxMessages);
  }

  async deleteBatch(_url: string, handles: readonly string[]): Promise<EntryFailures> {
    this.deleteCalls.push([...handles]);
    const failed = handles.filter((h) => this.failDeletesOnce.delete(h));
    this.deleted.push(...handles.filter((h) => !failed.includes(h)));
    return { retryable: failed, rejected: [] };
  }

  async changeVisibility(_url: string, handles: readonly string[], sec: number): Promise<EntryFailures> {
    this.visibilityCalls.push({ at: Date.now(), handles: [...handles], sec });
    return { retryable: [], rejected: [] };
  }

  async visibilityTimeoutSec(): Promise<number> {
    return this.visibilitySec;
  }
}

class FakeInvoker implements FunctionInvoker {
  events: { functionName: string; event: SqsEvent }[] = [];
  respond: (event: SqsEvent) => Promise<InvokeResult> | InvokeResult = () => ({ payload: null });
  probes: string[] = [];
  probe: (functionName: string) => Promise<void> = async (functionName) =>
    void this.probes.push(functionName);
  async invoke(functionName: string, payloadJson: string): Promise<InvokeResult> {
    const event = JSON.parse(payloadJson) as SqsEvent;
    this.events.push({ functionName, event });
    return this.respond(event);
  }
}

function route(overrides: Partial<Route> = {}): Route {
  return {
    queueName: "orders",
    queueUrl,
    functionName: "record",
    batchSize: 10,
    batchWindowSec: 0,
    concurrency: 1,
    minLoops: 1,
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

function notRun(reason: NotRunReason): HandlerNotRunError {
  return new HandlerNotRunError("record", reason, `refused: ${reason}`);
}

function throttling(): Error {
  return Object.assign(new Error("Rate of requests exceeds the allowed throughput"), {
    name: "ProvisionedThroughputExceededException",
  });
}

interface Harness {
  leases: FakeLeaseStore;
  queue: FakeQueue;
  invoker: FakeInvoker;
  started: LoopEvent[];
  routeOf: { current: Route | undefined };
  /** The poller's settings for the next run (a copy of the defaults). */
  settings: PollerSettings;
  /** Error lines the poller logged. */
  errors: string[];
  /** When set, every route read fails with it. */
  routeError?: Error;
  run: (
    invocationMs?: number,
    loop?: LoopEvent,
  ) => Promise<{ outcome: Awaited<ReturnType<ReturnType<typeof createPoller>["run"]>>; deadline: number }>;
}

function harness(): Harness {
  const leases = new FakeLeaseStore();
  leases.put({ ...event, createdAt: Date.now() });
  const queue = new FakeQueue();
  const invoker = new FakeInvoker();
  const started: LoopEvent[] = [];
  const starter: LoopStarter = { start: async (e) => void started.push(e) };
  const routeOf: { current: Route | undefined } = { current: route() };
  const routes: RouteResolver = {
    resolve: async () => {
      if (h.routeError) throw h.routeError;
      return routeOf.current;
    },
  };
  const errors: string[] = [];
  const h: Harness = {
    errors,
    leases,
    queue,
    invoker,
    started,
    routeOf,
    settings: { ...settings },
    async run(invocationMs = 30_000, loop = event) {
      const poller = createPoller({
        leases,
        routes,
        queue,
        invoker,
        starter,
        clock,
        logger: { ...silentLogger, error: (m: string) => void errors.push(m) },
        settings: h.settings,
        retry: { baseMs: 100, maxMs: 2_000, random: () => 0.5 },
      });
      const deadline = Date.now() + invocationMs;
      const promise = poller.run(loop, { remainingTimeMs: () => deadline - Date.now(), requestId: "req-1" });
      await vi.runAllTimersAsync();
      return { outcome: await promise, deadline };
    },
  };
  return h;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("heartbeat", () => {
  it("ends the loop without receiving or recursing when the token was deleted (revoked)", async () => {
    const h = harness();
    h.leases.rows.clear();
    h.queue.pending = [message("m1")];
    const { outcome } = await h.run();
    expect(outcome.status).toBe(LoopOutcomeStatus.Revoked);
    expect(h.queue.receives).toHaveLength(0);
    expect(h.started).toHaveLength(0);
  });

  it("ends the loop without receiving or recursing when restart gave the token a new loopId (taken over)", async () => {
    const h = harness();
    h.leases.put({ ...event, loopId: "loop-2", createdAt: 0 });
    h.queue.pending = [message("m1")];
    const { outcome } = await h.run();
    expect(outcome.status).toBe(LoopOutcomeStatus.TakenOver);
    expect(h.queue.receives).toHaveLength(0);
    expect(h.invoker.events).toHaveLength(0);
    expect(h.started).toHaveLength(0);
  });

  it("retries throttling and processes once the heartbeat goes through", async () => {
    const h = harness();
    let failures = 3;
    h.leases.beforeOp = (op) => {
      if (op === "heartbeat" && failures > 0) {
        failures--;
        throw throttling();
      }
    };
    h.queue.pending = [message("m1")];
    const { outcome } = await h.run();
    expect(failures).toBe(0);
    expect(outcome.status).toBe(LoopOutcomeStatus.Recursed);
    expect(h.queue.deleted).toEqual(["rh-m1"]);
    expect(h.started).toEqual([event]);
  });

  it("never ends a loop that still holds its token when heartbeats fail for the whole invocation", async () => {
    const h = harness();
    h.leases.beforeOp = (op) => {
      if (op === "heartbeat") throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    };
    h.queue.pending = [message("m1")];
    const { outcome } = await h.run();
    // Unverified: nothing processed, but the loop lives on.
    expect(h.queue.receives).toHaveLength(0);
    expect(outcome.status).toBe(LoopOutcomeStatus.Recursed);
    expect(h.started).toEqual([event]);
  });

  it("never processes a message when the lease turns out lost after transient failures", async () => {
    const h = harness();
    let failures = 2;
    h.leases.beforeOp = (op) => {
      if (op === "heartbeat" && failures > 0) {
        failures--;
        // Meanwhile restart took the token over.
        if (failures === 0) h.leases.put({ ...event, loopId: "loop-2", createdAt: 0 });
        throw throttling();
      }
    };
    h.queue.pending = [message("m1")];
    const { outcome } = await h.run();
    expect(outcome.status).toBe(LoopOutcomeStatus.TakenOver);
    expect(h.queue.receives).toHaveLength(0);
    expect(h.invoker.events).toHaveLength(0);
    expect(h.started).toHaveLength(0);
  });

  it("heartbeats before each receive and stops receiving after a mid-invocation revoke", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    h.invoker.respond = () => {
      h.leases.rows.clear();
      return { payload: null };
    };
    const { outcome } = await h.run();
    expect(outcome.status).toBe(LoopOutcomeStatus.Revoked);
    expect(h.queue.receives).toHaveLength(1);
    expect(h.queue.deleted).toEqual(["rh-m1"]);
    expect(h.started).toHaveLength(0);
  });
});

describe("dispatch", () => {
  it("deletes all messages of a successful batch and sends the handler a Lambda-shaped event", async () => {
    const h = harness();
    h.queue.pending = [message("m1"), message("m2")];
    const { outcome } = await h.run();
    expect(h.invoker.events[0]?.functionName).toBe("record");
    expect(h.invoker.events[0]?.event.Records.map((r) => r.messageId)).toEqual(["m1", "m2"]);
    expect(h.invoker.events[0]?.event.Records[0]?.eventSourceARN).toBe(
      "arn:aws:sqs:us-east-1:123456789012:orders",
    );
    expect(h.queue.deleted).toEqual(["rh-m1", "rh-m2"]);
    expect(outcome).toMatchObject({ received: 2, succeeded: 2, failed: 0 });
  });

  it("overlaps a batch's delete with the next heartbeat and receive, and deletes before recursing", async () => {
    const h = harness();
    h.queue.pending = [message("m1"), message("m2")];
    h.routeOf.current = route({ batchSize: 1 });
    const trace: string[] = [];
    const deleteBatch = h.queue.deleteBatch.bind(h.queue);
    h.queue.deleteBatch = async (url, handles) => {
      trace.push(`delete-start ${handles.join(",")}`);
      await clock.sleep(200);
      trace.push(`delete-end ${handles.join(",")}`);
      return deleteBatch(url, handles);
    };
    h.leases.beforeOp = (op) => void (op === "heartbeat" && trace.push("heartbeat"));
    const receive = h.queue.receive.bind(h.queue);
    h.queue.receive = async (url, options) => {
      trace.push("receive");
      return receive(url, options);
    };
    const starter = h.started;
    const { outcome } = await h.run();
    // The handler slot frees when the handler answered: the next heartbeat and receive do not wait for the delete.
    expect(trace.filter((t) => t === "heartbeat" || t === "receive").slice(0, 4)).toEqual([
      "heartbeat",
      "receive",
      "heartbeat",
      "receive",
    ]);
    const secondReceive = trace.indexOf("receive", trace.indexOf("receive") + 1);
    expect(secondReceive).toBeLessThan(trace.indexOf("delete-end rh-m1"));
    expect(trace.indexOf("delete-start rh-m1")).toBeLessThan(trace.indexOf("delete-end rh-m1"));
    expect(h.queue.deleted).toEqual(["rh-m1", "rh-m2"]);
    expect(outcome).toMatchObject({ received: 2, succeeded: 2, undeleted: 0 });
    expect(starter).toEqual([event]);
  });

  it("finishes the previous batch's delete when the next heartbeat finds the lease lost", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    const deleteBatch = h.queue.deleteBatch.bind(h.queue);
    h.queue.deleteBatch = async (url, handles) => {
      await clock.sleep(200);
      return deleteBatch(url, handles);
    };
    h.invoker.respond = () => {
      h.leases.rows.clear();
      return { payload: null };
    };
    const { outcome } = await h.run();
    expect(outcome).toMatchObject({ status: LoopOutcomeStatus.Revoked, succeeded: 1 });
    expect(h.queue.deleted).toEqual(["rh-m1"]);
  });

  it("receives at most the route's batch size", async () => {
    const h = harness();
    h.routeOf.current = route({ batchSize: 3 });
    h.queue.pending = ["a", "b", "c", "d"].map((id) => message(id));
    await h.run();
    expect(h.queue.receives[0]?.options.maxMessages).toBe(3);
    expect(h.invoker.events.map((e) => e.event.Records.length)).toEqual([3, 1]);
  });

  it("deletes all but the records named in batchItemFailures", async () => {
    const h = harness();
    h.queue.pending = [message("m1"), message("m2"), message("m3")];
    h.invoker.respond = () => ({ payload: { batchItemFailures: [{ itemIdentifier: "m2" }] } });
    const { outcome } = await h.run();
    expect(h.queue.deleted).toEqual(["rh-m1", "rh-m3"]);
    expect(outcome).toMatchObject({ succeeded: 2, failed: 1 });
  });

  it.each([
    ["an unknown messageId", { batchItemFailures: [{ itemIdentifier: "nope" }] }],
    ["an empty itemIdentifier", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a missing itemIdentifier", { batchItemFailures: [{ id: "m1" }] }],
    ["a batchItemFailures that is not a list", { batchItemFailures: "m1" }],
  ])("fails the whole batch on a malformed response (%s)", async (_name, payload) => {
    const h = harness();
    h.queue.pending = [message("m1"), message("m2")];
    h.invoker.respond = () => ({ payload });
    const { outcome } = await h.run();
    expect(h.queue.deleted).toEqual([]);
    expect(outcome).toMatchObject({ received: 2, succeeded: 0, failed: 2, status: "recursed" });
  });

  it("deletes nothing when the handler fails (FunctionError)", async () => {
    const h = harness();
    h.queue.pending = [message("m1"), message("m2")];
    h.invoker.respond = () => ({ functionError: "Unhandled", payload: { errorMessage: "boom" } });
    const { outcome } = await h.run();
    expect(h.queue.deleted).toEqual([]);
    expect(outcome).toMatchObject({ failed: 2, status: "recursed" });
  });

  it("keeps FIFO group order: later records of a group with a failure are not deleted", async () => {
    const h = harness();
    const fifoEvent = { ...event, queueUrl: fifoUrl };
    h.leases.put({ ...fifoEvent, createdAt: 0 });
    h.routeOf.current = route({ queueUrl: fifoUrl, queueName: "orders.fifo" });
    h.queue.pending = [
      message("a1", "A"),
      message("b1", "B"),
      message("a2", "A"),
      message("a3", "A"),
      message("b2", "B"),
    ];
    // The handler reports only a2 failed, and (wrongly for FIFO) claims a3 succeeded.
    h.invoker.respond = () => ({ payload: { batchItemFailures: [{ itemIdentifier: "a2" }] } });
    const { outcome } = await h.run(30_000, fifoEvent);
    expect(h.queue.deleted).toEqual(["rh-a1", "rh-b1", "rh-b2"]);
    expect(outcome).toMatchObject({ succeeded: 3, failed: 2 });
  });

  it("does not hold back records of a standard queue after a failure", async () => {
    const h = harness();
    h.queue.pending = [message("a1", "A"), message("a2", "A"), message("a3", "A")];
    h.invoker.respond = () => ({ payload: { batchItemFailures: [{ itemIdentifier: "a2" }] } });
    await h.run();
    expect(h.queue.deleted).toEqual(["rh-a1", "rh-a3"]);
  });

  it("extends the visibility of a batch while its handler runs long", async () => {
    const h = harness();
    h.queue.visibilitySec = 20;
    h.queue.pending = [message("m1"), message("m2")];
    const started = Date.now();
    h.invoker.respond = () => clock.sleep(45_000).then(() => ({ payload: null }));
    await h.run(120_000);
    const calls = h.queue.visibilityCalls;
    // Every half visibility timeout while the handler ran: at 10 s, 20 s, 30 s, 40 s.
    expect(calls.map((c) => c.at - started)).toEqual([10_000, 20_000, 30_000, 40_000]);
    expect(calls[0]).toMatchObject({ handles: ["rh-m1", "rh-m2"], sec: 20 });
    expect(h.queue.deleted).toEqual(["rh-m1", "rh-m2"]);
  });

  it("retries the entries a DeleteMessageBatch reported failed", async () => {
    const h = harness();
    h.queue.pending = [message("m1"), message("m2"), message("m3")];
    h.queue.failDeletesOnce = new Set(["rh-m2"]);
    const { outcome } = await h.run();
    expect(h.queue.deleteCalls).toEqual([["rh-m1", "rh-m2", "rh-m3"], ["rh-m2"]]);
    expect(h.queue.deleted.sort()).toEqual(["rh-m1", "rh-m2", "rh-m3"]);
    expect(outcome).toMatchObject({ succeeded: 3, undeleted: 0 });
  });

  it("retries a throttled handler invoke until it runs, and deletes the batch", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    let throttled = 5;
    h.invoker.respond = () => {
      if (throttled-- > 0) throw notRun(NotRunReason.Throttled);
      return { payload: null };
    };
    const { outcome } = await h.run();
    expect(h.invoker.events).toHaveLength(6);
    expect(h.queue.deleted).toEqual(["rh-m1"]);
    expect(outcome).toMatchObject({ succeeded: 1, failed: 0, released: 0 });
  });
});

describe("routes", () => {
  it.each([
    ["no route", undefined],
    ["a paused route", route({ paused: true })],
  ])("receives nothing with %s, and keeps the loop alive", async (_name, current) => {
    const h = harness();
    h.routeOf.current = current;
    h.queue.pending = [message("m1")];
    const { outcome } = await h.run();
    expect(h.queue.receives).toHaveLength(0);
    expect(outcome.status).toBe(LoopOutcomeStatus.Recursed);
    expect(h.started).toEqual([event]);
    // It kept heartbeating meanwhile.
    expect(h.leases.get(event)?.lastUsed).toBeGreaterThan(Date.now() - budgetMs - 2_000);
  });
});

describe("invocation", () => {
  it("recurses with the same event after the loop", async () => {
    const h = harness();
    const { outcome } = await h.run();
    expect(outcome.status).toBe(LoopOutcomeStatus.Recursed);
    expect(h.started).toEqual([event]);
  });

  it("catches an exception in a cycle, goes on, and still recurses", async () => {
    const h = harness();
    h.queue.receiveError = new TypeError("cannot read properties of undefined");
    h.queue.pending = [message("m1")];
    const { outcome } = await h.run();
    expect(h.queue.receives.length).toBeGreaterThan(1);
    expect(h.queue.deleted).toEqual(["rh-m1"]);
    expect(outcome.status).toBe(LoopOutcomeStatus.Recursed);
    expect(h.started).toEqual([event]);
  });

  it("survives a handler invoke that throws, leaving the batch to the visibility timeout", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    h.invoker.respond = () => {
      throw new Error("ResourceNotFoundException: Function not found");
    };
    const { outcome } = await h.run();
    expect(h.queue.deleted).toEqual([]);
    expect(outcome).toMatchObject({ status: "recursed", failed: 1 });
  });

  it("starts no receive without time for a full cycle, and finishes before the invocation times out", async () => {
    const h = harness();
    h.queue.pending = Array.from({ length: 30 }, (_, i) => message(`m${i}`));
    h.invoker.respond = () => clock.sleep(4_000).then(() => ({ payload: null }));
    const { outcome, deadline } = await h.run(40_000);
    expect(h.queue.receives.length).toBeGreaterThan(1);
    for (const r of h.queue.receives) expect(deadline - r.at).toBeGreaterThanOrEqual(budgetMs);
    expect(Date.now()).toBeLessThan(deadline);
    expect(outcome.status).toBe(LoopOutcomeStatus.Recursed);
  });

  it("idles instead of spinning when the invocation is shorter than one cycle", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    const { outcome, deadline } = await h.run(budgetMs - 1_000);
    expect(h.queue.receives).toHaveLength(0);
    expect(h.leases.get(event)?.lastUsed).toBeDefined();
    expect(outcome.status).toBe(LoopOutcomeStatus.Recursed);
    expect(Date.now()).toBeLessThan(deadline);
    expect(Date.now()).toBeGreaterThan(deadline - budgetMs);
  });

  it("reports a failed self-invoke after retries", async () => {
    const h = harness();
    const poller = createPoller({
      leases: h.leases,
      routes: { resolve: async () => route() },
      queue: h.queue,
      invoker: h.invoker,
      starter: {
        start: async () => {
          throw new Error("AccessDeniedException");
        },
      },
      clock,
      logger: silentLogger,
      settings,
    });
    const deadline = Date.now() + 10_000;
    const promise = poller.run(event, { remainingTimeMs: () => deadline - Date.now() });
    await vi.runAllTimersAsync();
    expect((await promise).status).toBe(LoopOutcomeStatus.RecursionFailed);
  });
});

describe("invocation fence", () => {
  /** One loop's invocations sharing a token store and a queue, each with its own invoker and starter. */
  function invocations(h: Harness) {
    const poller = (starter: LoopStarter, invoker: FakeInvoker) =>
      createPoller({
        leases: h.leases,
        routes: { resolve: async () => h.routeOf.current },
        queue: h.queue,
        invoker,
        starter,
        clock,
        logger: silentLogger,
        settings,
        retry: { baseMs: 100, maxMs: 2_000, random: () => 0.5 },
      });
    return {
      start(requestId: string, invocationMs = 30_000) {
        const invoker = new FakeInvoker();
        const started: LoopEvent[] = [];
        const deadline = Date.now() + invocationMs;
        const outcome = poller({ start: async (e) => void started.push(e) }, invoker).run(event, {
          remainingTimeMs: () => deadline - Date.now(),
          requestId,
        });
        return { invoker, started, outcome };
      },
    };
  }

  it("ends the older of two invocations of one loop at its next heartbeat (superseded); the newer goes on", async () => {
    const h = harness();
    const loop = invocations(h);
    const older = loop.start("req-a");
    // Lambda delivers the same async event again 2.5 s later.
    let newer: ReturnType<typeof loop.start> | undefined;
    setTimeout(() => {
      newer = loop.start("req-a");
    }, 2_500);
    // Messages arrive after the duplicate started.
    setTimeout(() => {
      h.queue.pending = [message("m1"), message("m2")];
    }, 5_000);
    await vi.runAllTimersAsync();
    const olderOutcome = await older.outcome;
    expect(olderOutcome.status).toBe(LoopOutcomeStatus.Superseded);
    expect(older.invoker.events).toHaveLength(0);
    expect(older.started).toHaveLength(0);
    if (!newer) throw new Error("the duplicate never started");
    const newerOutcome = await newer.outcome;
    expect(newerOutcome).toMatchObject({ status: LoopOutcomeStatus.Recursed, succeeded: 2 });
    expect(newer.invoker.events.flatMap((e) => e.event.Records.map((r) => r.messageId))).toEqual([
      "m1",
      "m2",
    ]);
    expect(newer.started).toEqual([event]);
    expect(h.queue.deleted).toEqual(["rh-m1", "rh-m2"]);
  });

  it("lets a batch in flight finish, then processes nothing more once superseded", async () => {
    const h = harness();
    const loop = invocations(h);
    h.queue.pending = [message("m1")];
    const older = loop.start("req-a");
    let newer: ReturnType<typeof loop.start> | undefined;
    // The duplicate starts while the older invocation's handler runs (m1 stays invisible to it).
    older.invoker.respond = () => {
      newer = loop.start("req-b");
      h.queue.pending.push(message("m2"));
      return clock.sleep(2_000).then(() => ({ payload: null }));
    };
    await vi.runAllTimersAsync();
    expect(await older.outcome).toMatchObject({ status: LoopOutcomeStatus.Superseded, succeeded: 1 });
    expect(older.invoker.events).toHaveLength(1);
    expect(older.started).toHaveLength(0);
    expect(await newer?.outcome).toMatchObject({ status: LoopOutcomeStatus.Recursed, succeeded: 1 });
    expect([...h.queue.deleted].sort()).toEqual(["rh-m1", "rh-m2"]);
  });

  it("hands off from each invocation to the next it starts without fencing anything", async () => {
    const h = harness();
    const runs: { invoker: FakeInvoker; outcome: Promise<LoopOutcome> }[] = [];
    const runOne = (requestId: string) => {
      const deadline = Date.now() + 25_000;
      const invoker = new FakeInvoker();
      // Each invocation finds one message of its own waiting.
      h.queue.pending.push(message(requestId));
      const outcome = createPoller({
        leases: h.leases,
        routes: { resolve: async () => h.routeOf.current },
        queue: h.queue,
        invoker,
        // Lambda's Event invoke: the next invocation starts while this one returns.
        starter: { start: async () => void (runs.length < 3 && runOne(`req-${runs.length}`)) },
        clock,
        logger: silentLogger,
        settings,
      }).run(event, { remainingTimeMs: () => deadline - Date.now(), requestId });
      runs.push({ invoker, outcome });
    };
    runOne("req-0");
    await vi.runAllTimersAsync();
    const statuses = await Promise.all(runs.map(async (r) => (await r.outcome).status));
    expect(statuses).toEqual([
      LoopOutcomeStatus.Recursed,
      LoopOutcomeStatus.Recursed,
      LoopOutcomeStatus.Recursed,
    ]);
    expect(runs.map((r) => r.invoker.events.flatMap((e) => e.event.Records.map((m) => m.messageId)))).toEqual(
      [["req-0"], ["req-1"], ["req-2"]],
    );
    expect(h.queue.deleted).toEqual(["rh-req-0", "rh-req-1", "rh-req-2"]);
  });

  it("ends the older of two invocations that a self-invoke retried after a lost response started", async () => {
    const h = harness();
    const outcomes: { requestId: string; outcome: Promise<LoopOutcome> }[] = [];
    let requests = 0;
    const runOne = (requestId: string, starter: LoopStarter) => {
      const deadline = Date.now() + 25_000;
      const outcome = createPoller({
        leases: h.leases,
        routes: { resolve: async () => h.routeOf.current },
        queue: h.queue,
        invoker: new FakeInvoker(),
        starter,
        clock,
        logger: silentLogger,
        settings,
        retry: { baseMs: 100, maxMs: 2_000, random: () => 0.5 },
      }).run(event, { remainingTimeMs: () => deadline - Date.now(), requestId });
      outcomes.push({ requestId, outcome });
    };
    const lastOfChain: LoopStarter = { start: async () => {} };
    // The first Invoke lands but its response is lost; the poller retries and a second lands too.
    const flaky: LoopStarter = {
      start: async () => {
        const requestId = `req-${++requests}`;
        runOne(requestId, lastOfChain);
        if (requests === 1) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      },
    };
    runOne("req-0", flaky);
    await vi.runAllTimersAsync();
    const byRequest = Object.fromEntries(
      await Promise.all(outcomes.map(async (o) => [o.requestId, (await o.outcome).status] as const)),
    );
    expect(byRequest).toEqual({
      "req-0": LoopOutcomeStatus.Recursed,
      "req-1": LoopOutcomeStatus.Superseded,
      "req-2": LoopOutcomeStatus.Recursed,
    });
  });

  it("treats a retried first heartbeat whose write landed as the first, and keeps the loop", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    const heartbeat = h.leases.heartbeat.bind(h.leases);
    const fences: (InvocationFence | undefined)[] = [];
    let lost = 1;
    h.leases.heartbeat = async (lease, now, invocation) => {
      fences.push(invocation && { ...invocation });
      await heartbeat(lease, now, invocation);
      if (lost-- > 0) throw Object.assign(new Error("timed out"), { name: "TimeoutError" });
    };
    const { outcome } = await h.run();
    expect(outcome).toMatchObject({ status: LoopOutcomeStatus.Recursed, succeeded: 1 });
    expect(fences.slice(0, 3).map((f) => f?.first)).toEqual([true, true, false]);
    expect(new Set(fences.map((f) => f?.invocationId)).size).toBe(1);
    expect(fences[0]?.invocationId).toMatch(/^req-1\//);
    expect(h.leases.get(event)?.invocationId).toBe(fences[0]?.invocationId);
  });

  it("clears the slot on restart's claim, so a claimed loop is taken over, not superseded", async () => {
    const h = harness();
    h.invoker.respond = async () => {
      await h.leases.claim(event, event.loopId, "loop-2", Date.now());
      return { payload: null };
    };
    h.queue.pending = [message("m1")];
    const { outcome } = await h.run();
    expect(outcome.status).toBe(LoopOutcomeStatus.TakenOver);
    expect(h.leases.get(event)).toMatchObject({ loopId: "loop-2" });
    expect(h.leases.get(event)?.invocationId).toBeUndefined();
  });
});

describe("several batches in flight", () => {
  it("keeps up to the route's concurrency batches in the handler at once, receiving as slots free", async () => {
    const h = harness();
    h.routeOf.current = route({ concurrency: 3, batchSize: 2 });
    h.queue.pending = Array.from({ length: 12 }, (_, i) => message(`m${i}`));
    let running = 0;
    let most = 0;
    h.invoker.respond = async () => {
      most = Math.max(most, ++running);
      await clock.sleep(1_000);
      running--;
      return { payload: null };
    };
    const started = Date.now();
    const { outcome } = await h.run();
    expect(most).toBe(3);
    expect(outcome).toMatchObject({ received: 12, succeeded: 12, maxInFlight: 3 });
    // Six batches of one second, three at a time: two rounds, where one at a time would take six.
    const lastInvokeDone = h.queue.deleteCalls.length;
    expect(lastInvokeDone).toBe(6);
    expect(h.queue.receives[5]?.at).toBeLessThan(started + 2_000);
  });

  it("renews the lease on a timer, not per batch", async () => {
    const h = harness();
    h.settings.renewEverySec = 5;
    h.routeOf.current = route({ batchSize: 1, concurrency: 2 });
    h.queue.pending = Array.from({ length: 40 }, (_, i) => message(`m${i}`));
    h.invoker.respond = () => clock.sleep(500).then(() => ({ payload: null }));
    let heartbeats = 0;
    h.leases.beforeOp = (op) => void (op === "heartbeat" && heartbeats++);
    const { outcome } = await h.run(30_000);
    expect(outcome.succeeded).toBe(40);
    // 40 batches over ~23 s of receiving: the first heartbeat and one every 5 s, not 40.
    expect(heartbeats).toBeGreaterThanOrEqual(3);
    expect(heartbeats).toBeLessThanOrEqual(6);
  });

  it("renews while every slot is busy with a long handler, so the lease never goes stale", async () => {
    const h = harness();
    h.settings.renewEverySec = 2;
    h.settings.maxHandlerTimeoutSec = 20;
    h.routeOf.current = route({ concurrency: 1 });
    h.queue.pending = [message("m1")];
    h.invoker.respond = () => clock.sleep(15_000).then(() => ({ payload: null }));
    const renewals: number[] = [];
    h.leases.beforeOp = (op) => void (op === "heartbeat" && renewals.push(Date.now()));
    await h.run(60_000);
    const gaps = renewals.slice(1).map((at, i) => at - (renewals[i] ?? at));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2_000);
    expect(renewals.length).toBeGreaterThan(7);
  });
});

describe("a zero long-poll wait", () => {
  it("idles a second after an empty receive instead of spinning receives and renewals", async () => {
    const h = harness();
    h.settings.waitTimeSec = 0;
    h.settings.maxHandlerTimeoutSec = 1;
    let heartbeats = 0;
    h.leases.beforeOp = (op) => void (op === "heartbeat" && heartbeats++);
    await h.run(20_000);
    // About one receive (and, renewing before each, one heartbeat) a second, not thousands.
    expect(h.queue.receives.length).toBeGreaterThan(5);
    expect(h.queue.receives.length).toBeLessThanOrEqual(20);
    expect(heartbeats).toBeLessThanOrEqual(21);
  });
});

describe("renewing while the last batches finish", () => {
  it("goes on renewing after it stopped receiving, until its last batch is done", async () => {
    const h = harness();
    h.settings.renewEverySec = 2;
    h.settings.maxHandlerTimeoutSec = 30;
    h.routeOf.current = route({ concurrency: 2 });
    h.queue.pending = [message("m1")];
    h.invoker.respond = () => clock.sleep(25_000).then(() => ({ payload: null }));
    const renewals: number[] = [];
    h.leases.beforeOp = (op) => void (op === "heartbeat" && renewals.push(Date.now()));
    const started = Date.now();
    // 1 s wait + 30 s handler + 10 s for a cold start's init + 1 s margin = 42 s per batch.
    const { outcome } = await h.run(50_000);
    expect(outcome).toMatchObject({ succeeded: 1, status: LoopOutcomeStatus.Recursed });
    // Receiving stopped after ~8 s (no batch could finish in the rest); the batch ran to ~25 s.
    expect(h.queue.receives.at(-1)?.at ?? 0).toBeLessThan(started + 10_000);
    expect(renewals.at(-1)).toBeGreaterThan(started + 22_000);
    const gaps = renewals.slice(1).map((at, i) => at - (renewals[i] ?? at));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2_000);
  });
});

describe("invokes that did not run the handler", () => {
  it("receives nothing new while a batch waits on a throttle, and halves its concurrency", async () => {
    const h = harness();
    h.routeOf.current = route({ concurrency: 4, batchSize: 1 });
    h.queue.pending = Array.from({ length: 8 }, (_, i) => message(`m${i}`));
    let throttles = 3;
    const trace: string[] = [];
    const receive = h.queue.receive.bind(h.queue);
    h.queue.receive = async (url, options) => {
      trace.push("receive");
      return receive(url, options);
    };
    h.invoker.respond = async () => {
      if (throttles-- > 0) {
        trace.push("throttled");
        throw notRun(NotRunReason.Throttled);
      }
      trace.push("ran");
      await clock.sleep(100);
      return { payload: null };
    };
    const { outcome } = await h.run();
    expect(outcome).toMatchObject({ succeeded: 8, failed: 0, released: 0 });
    expect(h.queue.deleted).toHaveLength(8);
    // Between the first throttle and the first invoke that ran, the loop received nothing.
    const between = trace.slice(trace.indexOf("throttled"), trace.indexOf("ran"));
    expect(between).not.toContain("receive");
    expect(between.filter((t) => t === "throttled")).toHaveLength(3);
  });

  it("keeps a batch to a missing function, probes with DryRun, shows blocked on the token, and sends it once the function exists", async () => {
    const h = harness();
    h.settings.renewEverySec = 60;
    h.queue.pending = [message("m1"), message("m2")];
    let exists = false;
    h.invoker.respond = () => {
      if (!exists) throw notRun(NotRunReason.NotFound);
      return { payload: null };
    };
    h.invoker.probe = async () => {
      if (!exists) throw notRun(NotRunReason.NotFound);
    };
    const blockedSeen: (string | undefined)[] = [];
    const heartbeat = h.leases.heartbeat.bind(h.leases);
    h.leases.heartbeat = async (lease, now, fence, state) => {
      blockedSeen.push(state?.blockedReason);
      await heartbeat(lease, now, fence, state);
    };
    setTimeout(() => {
      exists = true;
    }, 8_000);
    const { outcome } = await h.run();
    expect(blockedSeen).toContain(NotRunReason.NotFound);
    expect(blockedSeen.at(-1)).toBeUndefined();
    expect(h.leases.get(event)?.blockedReason).toBeUndefined();
    expect(h.queue.receives).toHaveLength(h.queue.receives.length);
    expect(outcome).toMatchObject({ received: 2, succeeded: 2, failed: 0, released: 0 });
  });

  it("hands back a batch it could never invoke when the invocation runs out of time, invisible for its backoff, without failing it", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    h.invoker.respond = () => {
      throw notRun(NotRunReason.Denied);
    };
    h.invoker.probe = async () => {
      throw notRun(NotRunReason.Denied);
    };
    const { outcome } = await h.run(20_000);
    expect(outcome).toMatchObject({ received: 1, succeeded: 0, failed: 0, released: 1 });
    const handedBack = h.queue.visibilityCalls.at(-1);
    expect(handedBack?.handles).toEqual(["rh-m1"]);
    expect(handedBack?.sec).toBeGreaterThan(0);
    expect(h.leases.get(event)?.blockedReason).toBe(NotRunReason.Denied);
    // One receive only: while blocked the loop probes instead of receiving more.
    expect(h.queue.receives).toHaveLength(1);
  });

  it("does not re-invoke after an ambiguous error: the batch returns to the queue", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    h.invoker.respond = () => {
      throw new AmbiguousInvokeError("invoke record: ECONNRESET", { functionName: "record" });
    };
    const { outcome } = await h.run();
    expect(h.invoker.events).toHaveLength(1);
    expect(outcome).toMatchObject({ failed: 1, succeeded: 0, released: 0 });
    expect(h.queue.deleted).toEqual([]);
  });

  it("fails the whole batch on a response that is not JSON", async () => {
    const h = harness();
    h.queue.pending = [message("m1"), message("m2")];
    h.invoker.respond = () => ({ payload: "done!", invalidJson: true });
    const { outcome } = await h.run();
    expect(outcome).toMatchObject({ failed: 2, succeeded: 0 });
  });
});

describe("batch shape", () => {
  it("splits a batch so that no invoke exceeds the payload limit", async () => {
    const h = harness();
    h.settings.payloadLimitBytes = 3_000;
    h.queue.pending = Array.from({ length: 4 }, (_, i) => ({ ...message(`m${i}`), body: "x".repeat(1_000) }));
    const { outcome } = await h.run();
    expect(h.invoker.events.map((e) => e.event.Records.length)).toEqual([2, 2]);
    for (const e of h.invoker.events)
      expect(Buffer.byteLength(JSON.stringify(e.event))).toBeLessThanOrEqual(3_000);
    expect(outcome.succeeded).toBe(4);
  });

  it("gathers receives into one batch up to batchSize within the batching window", async () => {
    const h = harness();
    h.routeOf.current = route({ batchSize: 25, batchWindowSec: 2 });
    h.queue.pending = Array.from({ length: 30 }, (_, i) => message(`m${i}`));
    await h.run();
    expect(h.invoker.events.map((e) => e.event.Records.length)).toEqual([25, 5]);
  });

  it("hands over what the window gathered when it closes before the batch is full", async () => {
    const h = harness();
    h.routeOf.current = route({ batchSize: 100, batchWindowSec: 3 });
    h.queue.pending = Array.from({ length: 12 }, (_, i) => message(`m${i}`));
    const started = Date.now();
    await h.run();
    expect(h.invoker.events[0]?.event.Records).toHaveLength(12);
    const firstDelete = h.queue.deleteCalls[0];
    expect(firstDelete).toHaveLength(12);
    expect(h.queue.receives.filter((r) => r.at - started < 3_000).length).toBeGreaterThan(2);
  });
});

describe("ending an invocation", () => {
  it("retries a failing self-invoke until the time is nearly spent, then reports it so the handler can fail", async () => {
    const h = harness();
    let attempts = 0;
    const running = createPoller({
      leases: h.leases,
      routes: { resolve: async () => undefined },
      queue: h.queue,
      invoker: h.invoker,
      starter: {
        start: async () => {
          attempts++;
          throw Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException" });
        },
      },
      clock,
      logger: silentLogger,
      settings: { ...settings, marginSec: 3 },
      retry: { baseMs: 100, maxMs: 500, random: () => 0.5 },
    }).run(event, { remainingTimeMs: () => 1_700_000_012_000 - Date.now() });
    await vi.runAllTimersAsync();
    const outcome = await running;
    expect(Date.now()).toBeGreaterThan(1_700_000_010_000);
    expect(outcome.status).toBe(LoopOutcomeStatus.RecursionFailed);
    expect(attempts).toBeGreaterThan(5);
  });

  it("ends without recursing when the tokens table refuses in a way retrying cannot fix", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    h.leases.beforeOp = (op) => {
      if (op === "heartbeat")
        throw Object.assign(new Error("not authorized"), { name: "AccessDeniedException" });
    };
    const { outcome } = await h.run();
    expect(outcome.status).toBe(LoopOutcomeStatus.StoreUnusable);
    expect(h.queue.receives).toHaveLength(0);
    expect(h.started).toEqual([]);
  });
});

describe("the time budget of a route", () => {
  it("never starts a route whose batching window cannot fit the invocation: shows blocked: budget, logs once a minute, idles, recurses", async () => {
    const h = harness();
    // wait 1 + window 100 + handler 5 + margin 1 = 107 s > a 90 s invocation.
    h.routeOf.current = route({ batchWindowSec: 100 });
    h.queue.pending = [message("m1")];
    const states: (string | undefined)[] = [];
    const heartbeat = h.leases.heartbeat.bind(h.leases);
    h.leases.heartbeat = async (lease, now, fence, state) => {
      states.push(state?.blockedReason);
      return heartbeat(lease, now, fence, state);
    };
    const startedAt = Date.now();
    const { outcome, deadline } = await h.run(90_000);
    expect(h.queue.receives).toHaveLength(0);
    expect(states).toContain("budget");
    expect(h.leases.get(event)?.blockedReason).toBe("budget");
    // It idled through the invocation instead of recursing at once, and recursed once.
    expect(Date.now() - startedAt).toBeGreaterThan(60_000);
    expect(Date.now()).toBeLessThan(deadline);
    expect(outcome.status).toBe(LoopOutcomeStatus.Recursed);
    expect(h.started).toEqual([event]);
    const budgetErrors = h.errors.filter((m) => m.includes("does not fit"));
    expect(budgetErrors.length).toBeGreaterThanOrEqual(1);
    expect(budgetErrors.length).toBeLessThanOrEqual(2);
  });

  it("clears blocked: budget once the route fits again", async () => {
    const h = harness();
    h.routeOf.current = route({ batchWindowSec: 30 });
    await h.run(30_000);
    expect(h.leases.get(event)?.blockedReason).toBe("budget");
    h.routeOf.current = route();
    h.queue.pending = [message("m1")];
    await h.run(30_000);
    expect(h.queue.deleted).toEqual(["rh-m1"]);
    expect(h.leases.get(event)?.blockedReason).toBeUndefined();
  });

  it("budgets a batch with the route's own handler timeout, not the longest of any function", async () => {
    const h = harness();
    h.settings = { ...settings, maxHandlerTimeoutSec: 600, handlerTimeoutSec: { record: 5 } };
    h.queue.pending = [message("m1")];
    await h.run(30_000);
    expect(h.queue.deleted).toEqual(["rh-m1"]);
  });

  it("ends the invocation in time while the route store keeps failing, and recurses", async () => {
    const h = harness();
    h.routeError = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    const { outcome, deadline } = await h.run(30_000);
    expect(Date.now()).toBeLessThan(deadline);
    expect(outcome.status).toBe(LoopOutcomeStatus.Recursed);
    expect(h.started).toEqual([event]);
    expect(h.queue.receives).toHaveLength(0);
  });
});

describe("the queue's visibility timeout", () => {
  it("receives nothing until it could read the queue's visibility timeout, then extends by it (never an assumed 30 s)", async () => {
    const h = harness();
    h.queue.visibilitySec = 20;
    let reads = 0;
    const read = h.queue.visibilityTimeoutSec.bind(h.queue);
    h.queue.visibilityTimeoutSec = async () => {
      reads++;
      if (reads <= 2) throw Object.assign(new Error("Rate exceeded"), { name: "RequestThrottled" });
      return read();
    };
    const readAt: number[] = [];
    const receive = h.queue.receive.bind(h.queue);
    h.queue.receive = async (url, options) => {
      readAt.push(reads);
      return receive(url, options);
    };
    h.queue.pending = [message("m1")];
    h.invoker.respond = () => clock.sleep(25_000).then(() => ({ payload: null }));
    await h.run(120_000);
    expect(readAt.length).toBeGreaterThan(0);
    expect(readAt.every((n) => n >= 3)).toBe(true);
    expect(h.queue.visibilityCalls.length).toBeGreaterThan(0);
    expect(h.queue.visibilityCalls.every((c) => c.sec === 20)).toBe(true);
    expect(h.queue.deleted).toEqual(["rh-m1"]);
  });
});

describe("FIFO receive attempts", () => {
  it("gives each FIFO receive a ReceiveRequestAttemptId and reuses it when retrying a failed receive", async () => {
    const h = harness();
    h.leases.put({ ...event, queueUrl: fifoUrl, createdAt: 0 });
    h.routeOf.current = route({ queueUrl: fifoUrl, queueName: "orders.fifo" });
    h.queue.pending = [message("m1", "G"), message("m2", "G")];
    h.queue.receiveError = Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
    await h.run(30_000, { ...event, queueUrl: fifoUrl });
    const ids = h.queue.receives.map((r) => r.options.attemptId);
    expect(ids.length).toBeGreaterThan(2);
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    // The failed first receive's id is retried once; every later receive has a new one.
    expect(ids[1]).toBe(ids[0]);
    expect(new Set(ids.slice(1)).size).toBe(ids.length - 1);
  });

  it("gives a standard queue's receives none", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    await h.run(10_000);
    expect(h.queue.receives.every((r) => r.options.attemptId === undefined)).toBe(true);
  });
});

describe("the edges of a batch's life", () => {
  it("keeps extending the succeeded messages' visibility until their deletes are done", async () => {
    const h = harness();
    h.queue.visibilitySec = 2;
    h.queue.pending = [message("m1"), message("m2")];
    h.invoker.respond = (e) => ({
      payload: {
        batchItemFailures: e.Records.filter((r) => r.messageId === "m2").map((r) => ({
          itemIdentifier: r.messageId,
        })),
      },
    });
    const deleteBatch = h.queue.deleteBatch.bind(h.queue);
    let deleting: { from: number; to: number } | undefined;
    h.queue.deleteBatch = async (url, handles) => {
      const from = Date.now();
      await clock.sleep(5_000);
      deleting = { from, to: Date.now() };
      return deleteBatch(url, handles);
    };
    await h.run();
    expect(h.queue.deleted).toEqual(["rh-m1"]);
    const during = h.queue.visibilityCalls.filter(
      (c) => deleting && c.at > deleting.from && c.at < deleting.to,
    );
    expect(during.length).toBeGreaterThan(0);
    // Only the message being deleted: the failed one returns by its visibility timeout.
    for (const c of during) expect(c.handles).toEqual(["rh-m1"]);
  });

  it("stops retrying a throttled batch at once when the lease is lost, hands it back and ends", async () => {
    const h = harness();
    h.settings.renewEverySec = 2;
    h.queue.pending = [message("m1")];
    let invokes = 0;
    let lostAt = 0;
    h.invoker.respond = () => {
      invokes++;
      throw notRun(NotRunReason.Throttled);
    };
    setTimeout(() => {
      h.leases.put({ ...event, loopId: "loop-2", createdAt: 0 });
      lostAt = Date.now();
    }, 3_000);
    const invokesAt: number[] = [];
    const respond = h.invoker.respond;
    h.invoker.respond = (e) => {
      invokesAt.push(Date.now());
      return respond(e);
    };
    const { outcome } = await h.run(60_000);
    expect(outcome.status).toBe(LoopOutcomeStatus.TakenOver);
    expect(outcome).toMatchObject({ released: 1, failed: 0 });
    expect(h.queue.visibilityCalls.at(-1)).toMatchObject({ handles: ["rh-m1"], sec: 0 });
    // No retry after the renewal that found the loss (renewals every 2 s).
    expect(invokesAt.filter((at) => at > lostAt + 2_500)).toEqual([]);
    expect(invokes).toBeGreaterThan(1);
    // It ended well before its budget.
    expect(Date.now()).toBeLessThan(1_700_000_000_000 + 20_000);
  });

  it("starts no batch, so no invoke, unless the invocation has time for a cold-started handler (timeout + init)", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    // 1 s wait + 5 s handler + 1 s margin fit in 14 s, but not with a cold start's 10 s init on top.
    const { outcome } = await h.run(14_000);
    expect(h.invoker.events).toEqual([]);
    expect(outcome).toMatchObject({ received: 0, released: 0 });
    expect(h.queue.pending).toHaveLength(1);
  });
});

describe("a handler that keeps refusing, across invocations", () => {
  it("throttled past its budget: shows blocked, hands the batch back invisible, and later invocations take one probe message, not batches", async () => {
    const h = harness();
    h.routeOf.current = route({ batchSize: 5, concurrency: 2 });
    h.queue.pending = Array.from({ length: 20 }, (_, i) => message(`m${i}`));
    let throttled = true;
    h.invoker.respond = () => {
      if (throttled) throw notRun(NotRunReason.Throttled);
      return { payload: null };
    };
    // Each run is a new poller: a cold environment that remembers nothing but the token.
    const first = await h.run(30_000);
    expect(first.outcome.received).toBeLessThanOrEqual(10);
    expect(first.outcome.released).toBe(first.outcome.received);
    const handedBack = h.queue.visibilityCalls.filter((c) => c.handles.length > 0).at(-1);
    expect(handedBack?.sec).toBeGreaterThan(0);
    expect(h.leases.get(event)?.blockedReason).toBe(NotRunReason.Throttled);

    for (let i = 0; i < 3; i++) {
      const next = await h.run(30_000);
      // A DryRun passes for a throttled function: only a real invoke of one message may probe it.
      expect(next.outcome.received).toBeLessThanOrEqual(1);
      expect(h.leases.get(event)?.blockedReason).toBe(NotRunReason.Throttled);
    }

    throttled = false;
    await h.run(30_000);
    await h.run(30_000);
    expect(h.leases.get(event)?.blockedReason).toBeUndefined();
    expect(h.queue.deleted.length).toBeGreaterThan(1);
    expect(h.invoker.events.some((e) => e.event.Records.length > 1)).toBe(true);
  });

  it("a KMS refusal whose DryRun passes: probes with one message and goes back to whole batches once it runs", async () => {
    const h = harness();
    h.routeOf.current = route({ batchSize: 5 });
    h.queue.pending = Array.from({ length: 12 }, (_, i) => message(`m${i}`));
    let broken = true;
    h.invoker.respond = () => {
      if (broken) throw notRun(NotRunReason.Kms);
      return { payload: null };
    };
    await h.run(30_000);
    expect(h.leases.get(event)?.blockedReason).toBe(NotRunReason.Kms);
    const sizesBefore = h.invoker.events.length;
    broken = false;
    const { outcome } = await h.run(60_000);
    const sizes = h.invoker.events.slice(sizesBefore).map((e) => e.event.Records.length);
    expect(sizes[0]).toBe(1);
    expect(sizes.slice(1).some((n) => n > 1)).toBe(true);
    expect(outcome.succeeded).toBeGreaterThan(1);
    expect(h.leases.get(event)?.blockedReason).toBeUndefined();
  });
});
