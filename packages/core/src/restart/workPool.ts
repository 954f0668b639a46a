/** What {@link runPool} did with its items. */
export interface PoolResult<T> {
  /** Items whose work ran (succeeded or threw; `work` reports its own failures). */
  done: number;
  /** Items not started because the deadline passed, in their original order. */
  left: T[];
}

export interface PoolOptions<T> {
  items: readonly T[];
  /** At most this many `work` calls in flight. */
  concurrency: number;
  /**
   * No item is started once this returns true (items in flight finish). It is asked with the
   * longest any item has taken so far in this pool (0 before one finished, or without `now`), so a
   * time box can refuse an item the slowest step so far would carry past its end.
   */
  expired: (lookaheadMs: number) => boolean;
  /** The clock items are timed with; without it the lookahead stays 0. */
  now?: () => number;
  /** The work for one item; a rejection is swallowed, so report failures inside it. */
  work: (item: T) => Promise<void>;
}

/**
 * Runs `work` over `items` in order, at most `concurrency` at a time, starting no item once
 * `expired(longestItemMs)` says the time box cannot hold another one. Restart uses it so a run
 * with thousands of stale tokens claims and starts them in parallel within its interval, and says
 * what it left; on a slow day (a loaded machine, a throttled table) the lookahead grows with the
 * steps, so items in flight still finish inside the box.
 *
 * @example
 * const { left } = await runPool({
 *   items, concurrency: 32, now: clock.now, expired: (ahead) => clock.now() + ahead >= deadline, work,
 * });
 */
export async function runPool<T>(options: PoolOptions<T>): Promise<PoolResult<T>> {
  const { items, work, expired, now } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  let next = 0;
  let done = 0;
  let stoppedAt: number | undefined;
  let longestMs = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      // Sticky: once one worker saw the deadline, no worker starts another item.
      if (stoppedAt !== undefined || expired(longestMs)) {
        stoppedAt ??= next;
        return;
      }
      const item = items[next++] as T;
      const startedAt = now?.();
      try {
        await work(item);
      } catch {
        // Reported by `work` itself.
      }
      if (now && startedAt !== undefined) longestMs = Math.max(longestMs, now() - startedAt);
      done++;
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { done, left: stoppedAt === undefined ? [] : items.slice(stoppedAt) };
}
