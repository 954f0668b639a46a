import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import type { Logger } from "../logger.js";
import type { QueueClient, QueueMessage } from "../queue/ports.js";

/** SQS's default visibility timeout, assumed when the queue client cannot read the queue's. */
const defaultVisibilitySec = 30;
/** How long a queue's visibility timeout is cached. */
const visibilityCacheMs = 60_000;
/** Shortest extension interval, so a tiny visibility timeout never spins. */
const minIntervalMs = 1_000;
/** Calls per tick for the entries SQS failed on its side (a tick is half a visibility timeout). */
const extendAttempts = 3;
/** Pause before retrying those entries. */
const retryDelayMs = 200;

/** Queue URL → its visibility timeout and when it was read; kept for the life of a poller. */
export type VisibilityTimeoutCache = Map<string, { sec: number; at: number }>;

export interface ExtendVisibilityDeps {
  queue: Pick<QueueClient, "changeVisibility" | "visibilityTimeoutSec">;
  clock: Clock;
  logger: Pick<Logger, "debug" | "warn">;
  /** Shared across invocations of one poller so the timeout is read at most once a minute. */
  cache: VisibilityTimeoutCache;
}

/**
 * A handler running long gets its messages' visibility extended (docs/protocol.md): runs
 * `work` (gathering a batch, invoking its handler, waiting out a throttle) while resetting
 * the visibility of `messages` (read again at each tick, so a list that grows while `work`
 * gathers is covered) to the queue's timeout every half timeout, so a handler running past the timeout does not see its
 * messages delivered to another loop meanwhile. A failed extension is logged, never
 * fatal: at worst a message is delivered twice (at-least-once).
 *
 * @example
 * const whileExtending = createVisibilityExtender({ queue, clock, logger, cache });
 * const result = await whileExtending(queueUrl, messages, () => invoker.invoke(fn, payload));
 */
export function createVisibilityExtender(
  deps: ExtendVisibilityDeps,
): <T>(queueUrl: string, messages: readonly QueueMessage[], work: () => Promise<T>) => Promise<T> {
  const { queue, clock, logger, cache } = deps;

  async function visibilitySecOf(queueUrl: string): Promise<number> {
    const cached = cache.get(queueUrl);
    if (cached && clock.now() - cached.at < visibilityCacheMs) return cached.sec;
    if (!queue.visibilityTimeoutSec) return defaultVisibilitySec;
    try {
      const sec = await queue.visibilityTimeoutSec(queueUrl);
      cache.set(queueUrl, { sec, at: clock.now() });
      return sec;
    } catch (error) {
      logger.warn("could not read the queue's visibility timeout", { error: describeError(error) });
      return cached?.sec ?? defaultVisibilitySec;
    }
  }

  return async function whileExtendingVisibility<T>(
    queueUrl: string,
    messages: readonly QueueMessage[],
    work: () => Promise<T>,
  ): Promise<T> {
    const visibilitySec = await visibilitySecOf(queueUrl);
    let done = false;
    const stop = new AbortController();
    const finished = work().finally(() => {
      done = true;
      stop.abort();
    });
    /** Receipt handles SQS refused: that receive's hold on them is over, so extending them again is pointless. */
    const lost = new Set<string>();
    const extender = (async () => {
      if (visibilitySec <= 0) return;
      const intervalMs = Math.max(minIntervalMs, (visibilitySec * 1000) / 2);
      while (!done) {
        await clock.sleep(intervalMs, stop.signal);
        if (done) return;
        // Read at each tick: a batch that is still gathering (batching window) adds messages as it goes.
        let receipts = messages.map((m) => m.receiptHandle).filter((h) => !lost.has(h));
        if (receipts.length === 0) continue;
        for (let attempt = 0; receipts.length > 0 && attempt < extendAttempts && !done; attempt++) {
          if (attempt > 0) await clock.sleep(retryDelayMs, stop.signal);
          try {
            const failures = await queue.changeVisibility(queueUrl, receipts, visibilitySec);
            for (const h of failures.rejected) lost.add(h);
            if (failures.rejected.length > 0) {
              logger.warn(
                "SQS refused the receipt handle of messages in a running batch; they are back in the queue",
                {
                  count: failures.rejected.length,
                },
              );
            }
            logger.debug("extended visibility of a running batch", {
              messages: receipts.length - failures.retryable.length - failures.rejected.length,
              visibilitySec,
            });
            receipts = failures.retryable;
          } catch (error) {
            logger.warn("could not extend visibility", { error: describeError(error), attempt });
          }
        }
      }
    })();
    try {
      return await finished;
    } finally {
      done = true;
      await extender;
    }
  };
}
