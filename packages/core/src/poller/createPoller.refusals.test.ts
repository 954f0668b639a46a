import { describe, expect, it } from "vitest";
import { AmbiguousInvokeError, NotRunReason } from "../errors.js";
import { clock, event, harness, message, notRun, route, withFakeTimers } from "./createPoller.testkit.js";

withFakeTimers();

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
