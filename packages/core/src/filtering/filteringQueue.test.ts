import { type Route, routeSchema } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../logger.js";
import type { QueueClient, QueueMessage } from "../queue/ports.js";
import { createFilteredReceive } from "./filteringQueue.js";

const url = "http://127.0.0.1:4566/000000000000/orders";
const fifoUrl = `${url}.fifo`;

function message(id: string, body: object, group?: string): QueueMessage {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify(body),
    md5OfBody: "",
    attributes: group === undefined ? {} : { MessageGroupId: group },
    messageAttributes: {},
  };
}

function setup(route: Route | undefined, batch: QueueMessage[], refuse: string[] = []) {
  const deleted: string[] = [];
  const released: string[] = [];
  const forwarded: string[] = [];
  const queue: QueueClient = {
    receive: async () => batch,
    deleteBatch: async (_url, handles) => {
      deleted.push(...handles);
      return { retryable: [], rejected: [] };
    },
    changeVisibility: async (_url, handles, seconds) => {
      if (seconds === 0) released.push(...handles);
      return { retryable: [], rejected: [] };
    },
  };
  const filtering: QueueClient = {
    ...queue,
    receive: createFilteredReceive({
      queue,
      routes: { resolve: async () => route },
      forwarder: {
        forward: async (_name, messages) => {
          forwarded.push(...messages.filter((m) => !refuse.includes(m.messageId)).map((m) => m.messageId));
          return messages.filter((m) => refuse.includes(m.messageId)).map((m) => m.messageId);
        },
      },
      invoker: {
        invoke: async () => ({}),
        probe: async () => {},
      },
      clock: { sleep: async () => {}, monotonic: () => 0 },
      retry: { baseMs: 1, maxMs: 1, random: () => 0 },
      logger: silentLogger,
      region: "us-east-1",
    }),
  };
  return { filtering, deleted, released, forwarded };
}

const routeOf = (queueUrl: string, extra: object) =>
  routeSchema.parse({
    queueName: queueUrl.slice(queueUrl.lastIndexOf("/") + 1),
    queueUrl,
    functionName: "record",
    ...extra,
  });

describe("createFilteredReceive", () => {
  it("passes every message through when the route has no filters", async () => {
    const batch = [message("a", { type: "x" })];
    const { filtering, deleted } = setup(routeOf(url, {}), batch);
    expect(await filtering.receive(url, { maxMessages: 10, waitTimeSec: 1 })).toBe(batch);
    expect(deleted).toEqual([]);
  });

  it("returns the matched messages and forwards, then deletes, the others", async () => {
    const route = routeOf(url, { filters: [{ body: { type: ["order"] } }], onNoMatch: "forward:parked" });
    const { filtering, deleted, forwarded } = setup(route, [
      message("a", { type: "order" }),
      message("b", { type: "refund" }),
      message("c", { type: "order" }),
    ]);
    const got = await filtering.receive(url, { maxMessages: 10, waitTimeSec: 1 });
    expect(got.map((m) => m.messageId)).toEqual(["a", "c"]);
    expect(forwarded).toEqual(["b"]);
    expect(deleted).toEqual(["rh-b"]);
  });

  it("leaves a message the target refused in the queue, deleting nothing for it", async () => {
    const route = routeOf(url, { filters: [{ body: { type: ["order"] } }], onNoMatch: "forward:parked" });
    const { filtering, deleted } = setup(route, [message("b", { type: "refund" })], ["b"]);
    expect(await filtering.receive(url, { maxMessages: 10, waitTimeSec: 1 })).toEqual([]);
    expect(deleted).toEqual([]);
  });

  it("on FIFO, holds back the later messages of a group whose unmatched message stayed", async () => {
    const route = routeOf(fifoUrl, {
      filters: [{ body: { type: ["order"] } }],
      onNoMatch: "forward:parked.fifo",
    });
    const { filtering, released } = setup(
      route,
      [
        message("a", { type: "refund" }, "g1"),
        message("b", { type: "order" }, "g1"),
        message("c", { type: "order" }, "g2"),
      ],
      ["a"],
    );
    const got = await filtering.receive(fifoUrl, { maxMessages: 10, waitTimeSec: 1 });
    expect(got.map((m) => m.messageId)).toEqual(["c"]);
    expect(released).toEqual(["rh-b"]);
  });

  it("drops what no filter matches with onNoMatch unset", async () => {
    const route = routeOf(url, { filters: [{ body: { type: ["order"] } }] });
    const { filtering, deleted } = setup(route, [
      message("a", { type: "noise" }),
      message("b", { type: "order" }),
    ]);
    expect(
      (await filtering.receive(url, { maxMessages: 10, waitTimeSec: 1 })).map((m) => m.messageId),
    ).toEqual(["b"]);
    expect(deleted).toEqual(["rh-a"]);
  });
});

describe("the no-match function inside the loop's hold", () => {
  const route = routeOf(url, { filters: [{ body: { type: ["order"] } }], onNoMatch: "invoke:audit" });
  const batch = [message("a", { type: "order" }), message("b", { type: "refund" })];

  it("runs while the loop keeps every received message invisible", async () => {
    const { filtering } = setup(route, batch);
    const held: string[][] = [];
    let invokedWhileHeld = false;
    let holding = false;
    const receive = createFilteredReceive({
      queue: { ...filtering, receive: async () => batch },
      routes: { resolve: async () => route },
      forwarder: { forward: async () => [] },
      invoker: {
        invoke: async () => {
          invokedWhileHeld = holding;
          return {};
        },
        probe: async () => {},
      },
      clock: { sleep: async () => {}, monotonic: () => 0 },
      retry: { baseMs: 1, maxMs: 1, random: () => 0 },
      logger: silentLogger,
      region: "us-east-1",
    });
    const got = await receive(url, {
      maxMessages: 10,
      waitTimeSec: 1,
      hold: {
        async whileHolding(messages, work) {
          held.push(messages.map((m) => m.messageId));
          holding = true;
          try {
            return await work();
          } finally {
            holding = false;
          }
        },
        mayStartInvoke: () => true,
      },
    });
    expect(got.map((m) => m.messageId)).toEqual(["a"]);
    expect(invokedWhileHeld).toBe(true);
    expect(held).toEqual([["a", "b"]]);
  });

  it("starts no invoke of the no-match function when the invocation has no time left for one", async () => {
    let invokes = 0;
    const released: string[] = [];
    const receive = createFilteredReceive({
      queue: {
        receive: async () => batch,
        deleteBatch: async () => ({ retryable: [], rejected: [] }),
        changeVisibility: async (_url, handles) => {
          released.push(...handles);
          return { retryable: [], rejected: [] };
        },
      },
      routes: { resolve: async () => route },
      forwarder: { forward: async () => [] },
      invoker: {
        invoke: async () => {
          invokes++;
          return {};
        },
        probe: async () => {},
      },
      clock: { sleep: async () => {}, monotonic: () => 0 },
      retry: { baseMs: 1, maxMs: 1, random: () => 0 },
      logger: silentLogger,
      region: "us-east-1",
    });
    await receive(url, {
      maxMessages: 10,
      waitTimeSec: 1,
      hold: { whileHolding: (_m, work) => work(), mayStartInvoke: () => false },
    });
    expect(invokes).toBe(0);
    expect(released).toEqual(["rh-b"]);
  });
});
