/** Time, injected so that loops, leases, staleness and backoff are testable with fake timers. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Milliseconds on a clock that never jumps (wall-clock adjustments do not move it): for
   * intervals such as "renew when this long has passed since the last verified renewal".
   */
  monotonic(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (its timer is then cleared). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A `sleep` on `setTimeout` that an AbortSignal cuts short, so a raced sleep leaves no timer behind. */
export function timerSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: timerSleep,
};
