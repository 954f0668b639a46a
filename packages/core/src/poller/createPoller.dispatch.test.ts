import { describe, expect, it } from "vitest";
import { NotRunReason } from "../errors.js";
import {
  clock,
  event,
  fifoUrl,
  harness,
  message,
  notRun,
  route,
  withFakeTimers,
} from "./createPoller.testkit.js";
import { LoopOutcomeStatus } from "./loopOutcome.js";

withFakeTimers();

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
