import type { Clock } from "../clock.js";
import type { LeaseStore } from "../lease/ports.js";
import type { Logger } from "../logger.js";
import type { QueueClient } from "../queue/ports.js";
import { createTokenBucket, rateShare, receiveAllowance, type TokenBucket } from "./tokenBucket.js";

/** The shortest a limited receive waits for tokens before it returns no messages. */
export const minTokenWaitMs = 100;

export interface RateLimitedReceiveDeps {
  queue: Pick<QueueClient, "receive">;
  clock: Pick<Clock, "now" | "sleep">;
  /**
   * This loop's share of the queue's route `maxRate` now (messages per second), or undefined for
   * no limit; asked before every receive, so a route edit or a new loop count applies at once.
   */
  share: (queueUrl: string) => number | undefined | Promise<number | undefined>;
  /**
   * The longest wait for tokens before a receive returns no messages instead. Default: the
   * receive's own long-poll wait, so a limited receive takes no longer than an unlimited one
   * (the time spent waiting for tokens comes off its long poll).
   */
  maxWaitMs?: () => number;
}

/**
 * A `receive` that takes its messages from a token bucket first (the route's `maxRate`, docs/registry.md): it
 * waits until the loop's share allows a whole receive, asks SQS for no more messages than it
 * holds tokens for, and gives back the tokens of messages that did not come. So receives never
 * outrun the limit and no received message waits for tokens. Without a share it is the plain receive.
 *
 * @example
 * const limited = createRateLimitedReceive({ queue, clock, share: (url) => shareOf(url, route.maxRate) });
 * await gatherBatch({ queue: limited, clock, logger }, queueUrl, options, held);
 */
export function createRateLimitedReceive(deps: RateLimitedReceiveDeps): Pick<QueueClient, "receive"> {
  const buckets = new Map<string, TokenBucket>();
  return {
    async receive(queueUrl, options) {
      const share = await deps.share(queueUrl);
      if (share === undefined) {
        buckets.delete(queueUrl);
        return deps.queue.receive(queueUrl, options);
      }
      let bucket = buckets.get(queueUrl);
      if (bucket === undefined) {
        bucket = createTokenBucket({ ratePerSec: share, clock: deps.clock });
        buckets.set(queueUrl, bucket);
      } else if (bucket.ratePerSec !== share) bucket.setRate(share);
      // A floor, so that a zero-wait receive (the end of a batching window) without tokens yields to
      // timers instead of returning at once, as an SQS round trip would not either.
      const maxWaitMs = Math.max(minTokenWaitMs, deps.maxWaitMs?.() ?? options.waitTimeSec * 1000);
      const startedAt = deps.clock.now();
      const allowed = await receiveAllowance(bucket, deps.clock, options.maxMessages, { maxWaitMs });
      if (allowed === 0) return [];
      const waitedSec = Math.ceil((deps.clock.now() - startedAt) / 1000);
      try {
        const messages = await deps.queue.receive(queueUrl, {
          ...options,
          maxMessages: allowed,
          waitTimeSec: Math.max(0, options.waitTimeSec - waitedSec),
        });
        bucket.giveBack(allowed - messages.length);
        return messages;
      } catch (error) {
        bucket.giveBack(allowed);
        throw error;
      }
    },
  };
}

export interface LoopShareDeps {
  leases: Pick<LeaseStore, "listByQueue">;
  clock: Pick<Clock, "now">;
  logger: Pick<Logger, "warn">;
  /** How long a loop count is reused, ms (use the route cache TTL: the share is re-read with the route). */
  ttlMs: number;
}

/**
 * A loop's share of a route's `maxRate`: `maxRate / the queue's token count`, the count read
 * from the tokens table at most once per `ttlMs`. A failed read keeps the last count (1 at
 * first), so a tokens-table hiccup never lifts the limit.
 *
 * @example
 * const shareOf = createLoopShare({ leases, clock, logger, ttlMs: routeCacheTtlSec * 1000 });
 * const share = await shareOf(event.queueUrl, route.maxRate); // undefined: no limit
 */
export function createLoopShare(
  deps: LoopShareDeps,
): (queueUrl: string, maxRate: number | undefined) => Promise<number | undefined> {
  const counts = new Map<string, { loops: number; readAt: number }>();
  return async (queueUrl, maxRate) => {
    if (maxRate === undefined) return undefined;
    const now = deps.clock.now();
    let known = counts.get(queueUrl);
    if (known === undefined || now - known.readAt >= deps.ttlMs) {
      try {
        known = { loops: (await deps.leases.listByQueue(queueUrl)).length, readAt: now };
      } catch (error) {
        deps.logger.warn("could not count the route's loops; keeping the last rate share", {
          queueUrl,
          error: String(error),
        });
        known = { loops: known?.loops ?? 1, readAt: now };
      }
      counts.set(queueUrl, known);
    }
    return rateShare(maxRate, known.loops);
  };
}
