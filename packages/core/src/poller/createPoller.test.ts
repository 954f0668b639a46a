import type { Route } from "@sqs-dispatcher/config";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Clock } from "../clock.js";
import type { FunctionInvoker, InvokeResult } from "../dispatch/ports.js";
import type { SqsEvent } from "../dispatch/sqsEvent.js";
import { FakeLeaseStore } from "../lease/fakeLeaseStore.testkit.js";
import type { InvocationFence, LoopEvent } from "../lease/token.js";
import { silentLogger } from "../logger.js";
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
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
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

  async deleteBatch(_url: string, handles: readonly string[]): Promise<string[]> {
    this.deleteCalls.push([...handles]);
    const failed = handles.filter((h) => this.failDeletesOnce.delete(h));
    this.deleted.push(...handles.filter((h) => !failed.includes(h)));
    return failed;
  }

  async changeVisibility(_url: string, handles: readonly string[], sec: number): Promise<void> {
    this.visibilityCalls.push({ at: Date.now(), handles: [...handles], sec });
  }

  async visibilityTimeoutSec(): Promise<number> {
    return this.visibilitySec;
  }
}

class FakeInvoker implements FunctionInvoker {
  events: { functionName: string; event: SqsEvent }[] = [];
  respond: (event: SqsEvent) => Promise<InvokeResult> | InvokeResult = () => ({ payload: null });
  async invoke(functionName: string, payload: unknown): Promise<InvokeResult> {
    this.events.push({ functionName, event: payload as SqsEvent });
    return this.respond(payload as SqsEvent);
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
    source: "deploy",
    updatedAt: 0,
    ...overrides,
  };
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
  const routes: RouteResolver = { resolve: async () => routeOf.current };
  return {
    leases,
    queue,
    invoker,
    started,
    routeOf,
    async run(invocationMs = 30_000, loop = event) {
      const poller = createPoller({
        leases,
        routes,
        queue,
        invoker,
        starter,
        clock,
        logger: silentLogger,
        settings,
        retry: { baseMs: 100, maxMs: 2_000, random: () => 0.5 },
      });
      const deadline = Date.now() + invocationMs;
      const promise = poller.run(loop, { remainingTimeMs: () => deadline - Date.now(), requestId: "req-1" });
      await vi.runAllTimersAsync();
      return { outcome: await promise, deadline };
    },
  };
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

  it("overlaps a batch's delete with the next heartbeat, receives only after both, and deletes before recursing", async () => {
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
    expect(trace.slice(0, 8)).toEqual([
      "heartbeat",
      "receive",
      "delete-start rh-m1",
      "heartbeat",
      "delete-end rh-m1",
      "receive",
      "delete-start rh-m2",
      "heartbeat",
    ]);
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

  it("retries a throttled handler invoke before failing the batch", async () => {
    const h = harness();
    h.queue.pending = [message("m1")];
    let throttled = 1;
    h.invoker.respond = () => {
      if (throttled-- > 0)
        throw Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException" });
      return { payload: null };
    };
    await h.run();
    expect(h.invoker.events).toHaveLength(2);
    expect(h.queue.deleted).toEqual(["rh-m1"]);
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
      const deadline = Date.now() + 10_000;
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
      const deadline = Date.now() + 10_000;
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
