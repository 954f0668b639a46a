import { describe, expect, it } from "vitest";
import type { TokenRecord } from "../lease/token.js";
import { silentLogger } from "../logger.js";
import type { QueueMessage, ReceiveOptions } from "../queue/ports.js";
import { createLoopShare, createRateLimitedReceive } from "./rateLimitedReceive.js";

function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

/** A queue holding `depth` messages; records what each receive asked for. */
function deepQueue(depth: number) {
  let left = depth;
  const asked: number[] = [];
  return {
    asked,
    async receive(_url: string, options: ReceiveOptions): Promise<QueueMessage[]> {
      asked.push(options.maxMessages);
      const n = Math.min(left, options.maxMessages, 10);
      left -= n;
      return Array.from({ length: n }, (_, i) => ({
        messageId: `m${left + i}`,
        receiptHandle: "rh",
        body: "",
        md5OfBody: "",
        attributes: {},
        messageAttributes: {},
      }));
    },
  };
}

const url = "http://127.0.0.1:4566/000000000000/orders";

describe("createRateLimitedReceive", () => {
  it("drains 1,000 messages at maxRate 50 in no less than 19 s, asking SQS for what it has tokens for", async () => {
    const clock = fakeClock();
    const queue = deepQueue(1_000);
    const limited = createRateLimitedReceive({ queue, clock, share: () => 50, maxWaitMs: () => 60_000 });
    let received = 0;
    while (received < 1_000)
      received += (await limited.receive(url, { maxMessages: 10, waitTimeSec: 1 })).length;
    expect(clock.now()).toBeGreaterThanOrEqual(19_000);
    expect(clock.now()).toBeLessThanOrEqual(20_500);
    expect(queue.asked.every((n) => n <= 10)).toBe(true);
  });

  it("gives back the tokens of messages that did not come", async () => {
    const clock = fakeClock();
    const queue = deepQueue(3);
    const limited = createRateLimitedReceive({ queue, clock, share: () => 10, maxWaitMs: () => 60_000 });
    expect(await limited.receive(url, { maxMessages: 10, waitTimeSec: 1 })).toHaveLength(3);
    const before = clock.now();
    // 7 tokens came back: the next receive (an empty queue) asks for 10 after only 300 ms more.
    expect(await limited.receive(url, { maxMessages: 10, waitTimeSec: 1 })).toHaveLength(0);
    expect(clock.now() - before).toBe(300);
  });

  it("returns nothing without receiving when tokens would come later than the receive's long poll", async () => {
    const clock = fakeClock();
    const queue = deepQueue(100);
    const limited = createRateLimitedReceive({ queue, clock, share: () => 0.1 });
    expect(await limited.receive(url, { maxMessages: 10, waitTimeSec: 1 })).toEqual([]);
    expect(queue.asked).toEqual([]);
    expect(clock.now()).toBe(1_000);
  });

  it("is the plain receive without a share, and follows a changed share", async () => {
    const clock = fakeClock();
    const queue = deepQueue(1_000);
    let share: number | undefined;
    const limited = createRateLimitedReceive({ queue, clock, share: () => share, maxWaitMs: () => 60_000 });
    expect(await limited.receive(url, { maxMessages: 10, waitTimeSec: 1 })).toHaveLength(10);
    expect(clock.now()).toBe(0);
    share = 5;
    expect(await limited.receive(url, { maxMessages: 10, waitTimeSec: 1 })).toHaveLength(5);
    expect(clock.now()).toBe(1_000);
    share = 2;
    expect(await limited.receive(url, { maxMessages: 10, waitTimeSec: 1 })).toHaveLength(2);
    expect(clock.now()).toBe(2_000);
  });
});

describe("createRateLimitedReceive: time budget", () => {
  it("takes the time spent waiting for tokens off the receive's long poll", async () => {
    const clock = fakeClock();
    const waits: number[] = [];
    const limited = createRateLimitedReceive({
      queue: {
        async receive(_url, options) {
          waits.push(options.waitTimeSec);
          return [];
        },
      },
      clock,
      share: () => 5,
    });
    await limited.receive(url, { maxMessages: 10, waitTimeSec: 20 });
    // 5 tokens (a full bucket) take 1 s: the long poll gets the 19 s left.
    expect(waits).toEqual([19]);
    expect(clock.now()).toBe(1_000);
  });
});

describe("createRateLimitedReceive: zero wait", () => {
  it("still waits a little for tokens on a zero-wait receive, so a window's last receives do not spin", async () => {
    const clock = fakeClock();
    const queue = deepQueue(100);
    const limited = createRateLimitedReceive({ queue, clock, share: () => 1 });
    expect(await limited.receive(url, { maxMessages: 10, waitTimeSec: 0 })).toEqual([]);
    expect(clock.now()).toBe(100);
  });
});

describe("createLoopShare", () => {
  const token = (n: number): TokenRecord => ({
    queueUrl: url,
    token: `t${n}`,
    loopId: `l${n}`,
    createdAt: 0,
  });

  it("divides maxRate by the loop count, re-read once per TTL, keeping the last count on errors", async () => {
    const clock = fakeClock();
    let tokens: TokenRecord[] | Error = [token(1), token(2)];
    let reads = 0;
    const shareOf = createLoopShare({
      leases: {
        async listByQueue() {
          reads++;
          if (tokens instanceof Error) throw tokens;
          return tokens;
        },
      },
      clock,
      logger: silentLogger,
      ttlMs: 1_000,
    });
    expect(await shareOf(url, undefined)).toBeUndefined();
    expect(await shareOf(url, 50)).toBe(25);
    tokens = [token(1), token(2), token(3), token(4), token(5)];
    expect(await shareOf(url, 50)).toBe(25);
    expect(reads).toBe(1);
    await clock.sleep(1_000);
    expect(await shareOf(url, 50)).toBe(10);
    tokens = new Error("throttled");
    await clock.sleep(1_000);
    expect(await shareOf(url, 50)).toBe(10);
    tokens = [];
    await clock.sleep(1_000);
    expect(await shareOf(url, 50)).toBe(50);
  });
});
