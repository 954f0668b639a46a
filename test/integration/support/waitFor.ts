/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this long (every wait in a test has a deadline). */
  timeoutMs: number;
  /** Pause between checks (default 200 ms). */
  intervalMs?: number;
  /** Says what was awaited when the deadline passes. */
  description?: string;
}

/**
 * Polls `condition` until it returns something other than `undefined`/`false`, and returns it;
 * throws naming `description` and the last value or error once `timeoutMs` has passed.
 */
export async function waitFor<T>(
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 200;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? `${last.name}: ${last.message}` : JSON.stringify(last);
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${options.description ?? "a condition"} (last: ${detail})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Checks that `condition` stays true for `forMs` (a bounded negative check: "nothing happens
 * during this window"); throws as soon as it turns false.
 */
export async function holdsFor(
  condition: () => Promise<boolean> | boolean,
  forMs: number,
  description: string,
  intervalMs = 200,
): Promise<void> {
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    if (!(await condition()))
      throw new Error(`expected ${description} to hold for ${forMs} ms, but it did not`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
