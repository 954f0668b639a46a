import { describe, expect, it } from "vitest";
import { clock, harness, message, route, withFakeTimers } from "./createPoller.testkit.js";

withFakeTimers();

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
