import { describe, expect, it, vi } from "vitest";
import type { InvocationFence, LoopEvent } from "../lease/token.js";
import { silentLogger } from "../logger.js";
import { createPoller } from "./createPoller.js";
import {
  clock,
  event,
  FakeInvoker,
  type Harness,
  harness,
  message,
  settings,
  withFakeTimers,
} from "./createPoller.testkit.js";
import { type LoopOutcome, LoopOutcomeStatus } from "./loopOutcome.js";
import type { LoopStarter } from "./ports.js";

withFakeTimers();

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
