import { describe, expect, it } from "vitest";
import { createTokenBucket, rateShare, receiveAllowance, receiveMax } from "./tokenBucket.js";

/** A clock that moves only when someone sleeps on it. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("token bucket", () => {
  it("starts empty and earns tokens at its rate, up to one second's worth", () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSec: 5, clock });
    expect(bucket.capacity).toBe(5);
    expect(bucket.available()).toBe(0);
    clock.advance(400);
    expect(bucket.available()).toBe(2);
    clock.advance(10_000);
    expect(bucket.available()).toBe(5);
  });

  it("never holds more than one full receive, however high the rate", () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSec: 500, clock, initial: 1_000 });
    expect(bucket.capacity).toBe(receiveMax);
    expect(bucket.available()).toBe(10);
    clock.advance(60_000);
    expect(bucket.take(50)).toBe(10);
    expect(bucket.take(1)).toBe(0);
  });

  it("takes whole tokens only, and says how long until the next ones", () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSec: 2, clock });
    clock.advance(700);
    expect(bucket.take(10)).toBe(1);
    expect(bucket.waitMs(1)).toBe(300);
    expect(bucket.waitMs(2)).toBe(800);
    // Asking for more than the capacity waits for the capacity.
    expect(bucket.waitMs(10)).toBe(800);
  });

  it("keeps a rate below one message a second", () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSec: 0.5, clock });
    expect(bucket.capacity).toBe(1);
    expect(bucket.waitMs(1)).toBe(2_000);
  });

  it("takes back what a receive did not use, within the capacity", () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSec: 10, clock, initial: 10 });
    expect(bucket.take(10)).toBe(10);
    bucket.giveBack(7);
    expect(bucket.available()).toBe(7);
    bucket.giveBack(100);
    expect(bucket.available()).toBe(10);
  });

  it("follows a new share when the loop count changes", () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSec: 50, clock, initial: 10 });
    bucket.setRate(rateShare(50, 4)!);
    expect(bucket.ratePerSec).toBe(12.5);
    expect(bucket.available()).toBe(10);
    bucket.setRate(rateShare(50, 10)!);
    expect(bucket.capacity).toBe(5);
    expect(bucket.available()).toBe(5);
  });

  it("refuses a rate that is not positive", () => {
    expect(() => createTokenBucket({ ratePerSec: 0, clock: fakeClock() })).toThrow(RangeError);
    const bucket = createTokenBucket({ ratePerSec: 1, clock: fakeClock() });
    expect(() => bucket.setRate(-1)).toThrow(/positive/);
  });
});

describe("rateShare", () => {
  it("splits a route's maxRate across its loops; no limit without maxRate", () => {
    expect(rateShare(50, 2)).toBe(25);
    expect(rateShare(50, 0)).toBe(50);
    expect(rateShare(undefined, 3)).toBeUndefined();
  });
});

describe("receiveAllowance", () => {
  /** Drains a deep queue for `seconds` of fake time, receiving what the bucket allows. */
  async function drain(ratePerSec: number, seconds: number, loops = 1) {
    const clock = fakeClock();
    const buckets = Array.from({ length: loops }, () =>
      createTokenBucket({ ratePerSec: rateShare(ratePerSec, loops)!, clock }),
    );
    const start = clock.now();
    let received = 0;
    let receives = 0;
    while (clock.now() - start < seconds * 1000) {
      for (const bucket of buckets) {
        const n = await receiveAllowance(bucket, clock, 10);
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(10);
        received += n;
        receives++;
      }
    }
    return { received, receives, elapsedSec: (clock.now() - start) / 1000 };
  }

  it("holds a loop to its rate over a minute, in whole receives", async () => {
    for (const rate of [0.5, 5, 50, 500]) {
      const { received, elapsedSec } = await drain(rate, 60);
      expect(received / elapsedSec, `rate ${rate}`).toBeLessThanOrEqual(rate * 1.0001);
      expect(received / elapsedSec, `rate ${rate}`).toBeGreaterThanOrEqual(rate * 0.9);
    }
  });

  it("holds a route to its maxRate across several loops", async () => {
    const { received, elapsedSec } = await drain(50, 60, 3);
    expect(received / elapsedSec).toBeLessThanOrEqual(50 * 1.0001);
    expect(received / elapsedSec).toBeGreaterThanOrEqual(45);
  });

  it("never lets 1,000 messages through in less than 19 s at 50 a second", async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSec: 50, clock });
    const start = clock.now();
    let received = 0;
    while (received < 1_000) received += await receiveAllowance(bucket, clock, 10);
    expect(clock.now() - start).toBeGreaterThanOrEqual(19_000);
  });

  it("asks for whole batches: at 50 a second, receives of 10 every 200 ms", async () => {
    const { received, receives } = await drain(50, 10);
    expect(received / receives).toBe(10);
  });

  it("gives up after maxWaitMs with 0, so the loop can renew its lease", async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSec: 0.1, clock });
    const before = clock.now();
    expect(await receiveAllowance(bucket, clock, 10, { maxWaitMs: 3_000 })).toBe(0);
    expect(clock.now() - before).toBe(3_000);
    expect(await receiveAllowance(bucket, clock, 10, { maxWaitMs: 8_000 })).toBe(1);
  });
});
