import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../logger.js";
import { createPoller } from "./createPoller.js";
import {
  budgetMs,
  clock,
  event,
  harness,
  message,
  route,
  settings,
  withFakeTimers,
} from "./createPoller.testkit.js";
import { LoopOutcomeStatus } from "./loopOutcome.js";

withFakeTimers();

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
