import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { timerSleep } from "../clock.js";
import { silentLogger } from "../logger.js";
import { discardMetrics } from "../metrics/ports.js";
import type { QueueMessage } from "../queue/ports.js";
import { type DispatchBatchDeps, dispatchBatch } from "./dispatchBatch.js";
import type { InvokeResult } from "./ports.js";
import type { SqsEvent } from "./sqsEvent.js";

const fifoUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo";
const clock = { sleep: timerSleep, monotonic: () => Date.now() };

function message(id: string, group: string): QueueMessage {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: "x".repeat(1_000),
    md5OfBody: "md5",
    attributes: { MessageGroupId: group },
    messageAttributes: {},
  };
}

interface Harness {
  deps: DispatchBatchDeps;
  invoked: string[][];
  deleted: string[];
  released: { handles: string[]; sec: number }[];
}

function harness(respond: (ids: string[]) => InvokeResult | Promise<InvokeResult>): Harness {
  const h: Harness = {
    invoked: [],
    deleted: [],
    released: [],
    deps: undefined as never,
  };
  h.deps = {
    invoker: {
      async invoke(_fn, json) {
        const ids = (JSON.parse(json) as SqsEvent).Records.map((r) => r.messageId);
        h.invoked.push(ids);
        return respond(ids);
      },
      probe: async () => {},
    },
    queue: {
      async deleteBatch(_url, handles) {
        h.deleted.push(...handles);
        return { retryable: [], rejected: [] };
      },
      async changeVisibility(_url, handles, sec) {
        h.released.push({ handles: [...handles], sec });
        return { retryable: [], rejected: [] };
      },
    },
    clock,
    retry: { baseMs: 10, maxMs: 10, random: () => 0.5 },
    logger: silentLogger,
    metrics: discardMetrics,
    region: "us-east-1",
    // One record per invoke: every record is its own chunk.
    payloadLimitBytes: 1_500,
    mayStartInvoke: () => true,
    observer: { refused() {}, waiting() {}, ran() {} },
  };
  return h;
}

const fail = (ids: string[], failing: ReadonlySet<string>): InvokeResult => ({
  payload: {
    batchItemFailures: ids.filter((id) => failing.has(id)).map((itemIdentifier) => ({ itemIdentifier })),
  },
});

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("dispatchBatch on a FIFO queue split under the payload limit", () => {
  it("never invokes later records of a group after one of its records failed in an earlier chunk", async () => {
    const h = harness((ids) => fail(ids, new Set(["g1"])));
    const batch = [
      message("g1", "G"),
      message("h1", "H"),
      message("g2", "G"),
      message("h2", "H"),
      message("g3", "G"),
    ];
    const outcome = await dispatchBatch(h.deps, fifoUrl, "orders.fifo", "record", batch, true);
    expect(h.invoked).toEqual([["g1"], ["h1"], ["h2"]]);
    expect(h.deleted.sort()).toEqual(["rh-h1", "rh-h2"]);
    expect(outcome).toMatchObject({ succeeded: 2, failed: 3 });
  });

  it("sends a later chunk only once the earlier chunk of the same group has answered", async () => {
    let running = 0;
    let overlapped = false;
    const h = harness(async () => {
      running++;
      if (running > 1) overlapped = true;
      await clock.sleep(1_000);
      running--;
      return { payload: null };
    });
    const batch = [message("g1", "G"), message("g2", "G"), message("g3", "G")];
    const done = dispatchBatch(h.deps, fifoUrl, "orders.fifo", "record", batch, true);
    await vi.runAllTimersAsync();
    expect((await done).succeeded).toBe(3);
    expect(h.invoked).toEqual([["g1"], ["g2"], ["g3"]]);
    expect(overlapped).toBe(false);
  });

  it("drops a failed group's records from a chunk that also holds other groups, and invokes the rest", async () => {
    const h = harness((ids) => fail(ids, new Set(["g1"])));
    h.deps.payloadLimitBytes = 3_000;
    const batch = [message("g1", "G"), message("h1", "H"), message("g2", "G"), message("h2", "H")];
    await dispatchBatch(h.deps, fifoUrl, "orders.fifo", "record", batch, true);
    expect(h.invoked).toEqual([["g1", "h1"], ["h2"]]);
    expect(h.deleted.sort()).toEqual(["rh-h1", "rh-h2"]);
  });
});
