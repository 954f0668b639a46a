import { describe, expect, it } from "vitest";
import { clock, event, harness, message, route, throttling, withFakeTimers } from "./createPoller.testkit.js";
import { LoopOutcomeStatus } from "./loopOutcome.js";

withFakeTimers();

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
