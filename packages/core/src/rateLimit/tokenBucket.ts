import type { Clock } from "../clock.js";

/** The most messages one ReceiveMessage returns: a bucket never needs to hold more. */
export const receiveMax = 10;

export interface TokenBucketOptions {
  /** Tokens (messages) added per second. */
  ratePerSec: number;
  clock: Pick<Clock, "now">;
  /**
   * Tokens the bucket starts with. Default 0: a new loop (or invocation) earns its first
   * receive like any other, so restarts never add a burst above the rate.
   */
  initial?: number;
}

/**
 * A token bucket that sizes receives: one token is one message. It holds at most one second of
 * tokens, and never more than one full receive (10), so a quiet route cannot save up a burst.
 */
export interface TokenBucket {
  /** Tokens added per second now. */
  readonly ratePerSec: number;
  /** Most tokens held: `clamp(ceil(ratePerSec), 1, 10)`. */
  readonly capacity: number;
  /** Changes the rate (a new share after the loop count changed); tokens held stay, within the new capacity. */
  setRate(ratePerSec: number): void;
  /** Whole tokens available now. */
  available(): number;
  /** Takes up to `max` whole tokens now; returns how many it took (possibly 0). */
  take(max: number): number;
  /** Returns tokens a receive did not use (it asked for more messages than came). */
  giveBack(n: number): void;
  /** Milliseconds until `n` whole tokens are available (0 when they are); `n` is capped at the capacity. */
  waitMs(n: number): number;
}

function capacityFor(ratePerSec: number): number {
  return Math.min(receiveMax, Math.max(1, Math.ceil(ratePerSec)));
}

function checkRate(ratePerSec: number): void {
  if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) {
    throw new RangeError(`a token bucket's rate must be a positive number (${ratePerSec})`);
  }
}

/**
 * Creates a {@link TokenBucket} on an injected clock.
 *
 * @example
 * const bucket = createTokenBucket({ ratePerSec: rateShare(route.maxRate, loops), clock });
 * const n = await receiveAllowance(bucket, clock, 10);   // before each receive
 * const messages = await queue.receive(url, { maxMessages: n, waitTimeSec });
 * bucket.giveBack(n - messages.length);
 */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  checkRate(options.ratePerSec);
  const { clock } = options;
  let rate = options.ratePerSec;
  let capacity = capacityFor(rate);
  let tokens = Math.min(capacity, Math.max(0, options.initial ?? 0));
  let last = clock.now();

  const refill = () => {
    const now = clock.now();
    if (now > last) tokens = Math.min(capacity, tokens + ((now - last) / 1000) * rate);
    last = Math.max(last, now);
  };

  return {
    get ratePerSec() {
      return rate;
    },
    get capacity() {
      return capacity;
    },
    setRate(ratePerSec) {
      checkRate(ratePerSec);
      refill();
      rate = ratePerSec;
      capacity = capacityFor(rate);
      tokens = Math.min(tokens, capacity);
    },
    available() {
      refill();
      return Math.floor(tokens + 1e-9);
    },
    take(max) {
      refill();
      const n = Math.max(0, Math.min(Math.floor(max), Math.floor(tokens + 1e-9)));
      tokens -= n;
      return n;
    },
    giveBack(n) {
      if (n <= 0) return;
      refill();
      tokens = Math.min(capacity, tokens + n);
    },
    waitMs(n) {
      refill();
      const wanted = Math.min(Math.max(1, n), capacity);
      const missing = wanted - tokens;
      // The epsilon keeps float dust (0.6 / 2 * 1000 = 300.00000000000006) from adding a millisecond.
      return missing <= 1e-9 ? 0 : Math.ceil((missing / rate) * 1000 - 1e-6);
    },
  };
}

/**
 * A loop's share of a route's `maxRate`: `maxRate / loops` (the route's current loop count,
 * re-read with the route). Undefined when the route has no limit.
 *
 * @example rateShare(50, 2) // 25
 */
export function rateShare(maxRate: number | undefined, loops: number): number | undefined {
  if (maxRate === undefined) return undefined;
  return maxRate / Math.max(1, loops);
}

export interface ReceiveAllowanceOptions {
  /**
   * Wait at most this long for tokens; then resolve 0 so the loop can renew its lease or stop
   * (the invocation's time is running out). Default: wait as long as it takes.
   */
  maxWaitMs?: number;
}

/**
 * How many messages the next receive may ask for (1 to `max`), waiting on the clock until the
 * bucket has a full receive's worth (`min(max, capacity)`) so a limited route receives in whole
 * batches, not message by message. Takes the tokens: give back what the receive did not use.
 * Resolves 0 only when `maxWaitMs` passed first.
 */
export async function receiveAllowance(
  bucket: TokenBucket,
  clock: Pick<Clock, "sleep">,
  max: number,
  options: ReceiveAllowanceOptions = {},
): Promise<number> {
  const want = Math.max(1, Math.min(Math.floor(max), bucket.capacity));
  let waited = 0;
  for (;;) {
    const waitMs = bucket.waitMs(want);
    if (waitMs === 0) return bucket.take(want);
    if (options.maxWaitMs !== undefined && waited + waitMs > options.maxWaitMs) {
      const rest = options.maxWaitMs - waited;
      if (rest > 0) await clock.sleep(rest);
      return 0;
    }
    await clock.sleep(waitMs);
    waited += waitMs;
  }
}
