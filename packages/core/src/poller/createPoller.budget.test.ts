import { describe, expect, it } from "vitest";
import { event, harness, message, route, settings, withFakeTimers } from "./createPoller.testkit.js";
import { LoopOutcomeStatus } from "./loopOutcome.js";

withFakeTimers();

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
