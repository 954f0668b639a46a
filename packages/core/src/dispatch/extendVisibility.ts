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
 * DESIGN.md's "a handler running long gets its messages' visibility extended": runs
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
    const extender = (async () => {
      if (visibilitySec <= 0) return;
      const intervalMs = Math.max(minIntervalMs, (visibilitySec * 1000) / 2);
      while (!done) {
        await clock.sleep(intervalMs, stop.signal);
        if (done) return;
        // Read at each tick: a batch that is still gathering (batching window) adds messages as it goes.
        const receipts = messages.map((m) => m.receiptHandle);
        if (receipts.length === 0) continue;
        try {
          await queue.changeVisibility(queueUrl, receipts, visibilitySec);
          logger.debug("extended visibility of a running batch", {
            messages: receipts.length,
            visibilitySec,
          });
        } catch (error) {
          logger.warn("could not extend visibility", { error: describeError(error) });
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
