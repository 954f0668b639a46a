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
  /** No item is started once this returns true (items in flight finish). */
  expired: () => boolean;
  /** The work for one item; a rejection is swallowed, so report failures inside it. */
  work: (item: T) => Promise<void>;
}

/**
 * Runs `work` over `items` in order, at most `concurrency` at a time, starting no item once
 * `expired()` says the time box is spent. Restart uses it so a run with thousands of stale
 * tokens claims and starts them in parallel within its interval, and says what it left.
 *
 * @example
 * const { left } = await runPool({ items, concurrency: 32, expired: () => clock.now() > deadline, work });
 */
export async function runPool<T>(options: PoolOptions<T>): Promise<PoolResult<T>> {
  const { items, work, expired } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  let next = 0;
  let done = 0;
  let stoppedAt: number | undefined;
  async function worker(): Promise<void> {
    while (next < items.length) {
      // Sticky: once one worker saw the deadline, no worker starts another item.
      if (stoppedAt !== undefined || expired()) {
        stoppedAt ??= next;
        return;
      }
      const item = items[next++] as T;
      try {
        await work(item);
      } catch {
        // Reported by `work` itself.
      }
      done++;
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { done, left: stoppedAt === undefined ? [] : items.slice(stoppedAt) };
}
