/** Exponential backoff with full jitter, so that many loops retrying at once spread out. */
export interface BackoffPolicy {
  /** Delay cap of the first retry, ms. */
  baseMs: number;
  /** Largest delay cap, ms. */
  maxMs: number;
  /** A number in [0, 1); injected so tests are deterministic. */
  random: () => number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 100, maxMs: 5_000, random: Math.random };

/** The delay before retry number `attempt` (0-based): uniform in [0, min(maxMs, baseMs * 2^attempt)]. */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(policy.random() * cap);
}
