import type { Clock } from "../clock.js";

/** Shortest idle wait, so a zero long-poll wait never spins heartbeats or receives. */
export const minIdleMs = 1_000;

/**
 * One lane's batches: each holds a handler slot until its handler answered (the route's
 * `concurrency` bounds them), and stays unfinished until its deletes are done (awaited before
 * the invocation ends).
 */
export interface BatchSlots {
  /** Batches in the handler now. */
  inHandler(): number;
  /** Batches whose deletes are not done yet. */
  unfinished(): number;
  /** Tracks a batch: `slot` settles when its handler slot frees, `finished` when the batch is done. */
  track(slot: Promise<void>, finished: Promise<void>): void;
  /**
   * Waits until a handler slot frees or `maxMs` passed. With no batch in the handler an endless
   * wait becomes {@link minIdleMs}, so a caller never waits for nothing.
   */
  waitForSlot(maxMs: number): Promise<void>;
  /** Settles when every batch tracked now is done. */
  allFinished(): Promise<void>;
}

export function createBatchSlots(clock: Pick<Clock, "sleep">): BatchSlots {
  const inFlight = new Set<Promise<void>>();
  const unfinished = new Set<Promise<void>>();
  return {
    inHandler: () => inFlight.size,
    unfinished: () => unfinished.size,
    track(slot, finished) {
      inFlight.add(slot);
      unfinished.add(finished);
      void slot.then(() => inFlight.delete(slot));
      void finished.then(() => unfinished.delete(finished));
    },
    async waitForSlot(maxMs) {
      const ms = inFlight.size === 0 && !Number.isFinite(maxMs) ? minIdleMs : maxMs;
      if (!Number.isFinite(ms)) return void (await Promise.race(inFlight));
      const woken = new AbortController();
      await Promise.race([...inFlight, clock.sleep(Math.max(0, ms), woken.signal)]);
      woken.abort();
    },
    async allFinished() {
      await Promise.all([...unfinished]);
    },
  };
}
