import { describe, expect, it } from "vitest";
import { clock, event, fifoUrl, harness, message, route, withFakeTimers } from "./createPoller.testkit.js";

withFakeTimers();

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
