import { hasHeartbeatSinceStart } from "../lease/heartbeatSinceStart.js";
import type { TokenRecord } from "../lease/token.js";

export interface StalenessSettings {
  /** A token whose last heartbeat is older than this is stale, ms. */
  staleAfterMs: number;
  /** A token whose current loop has not heartbeat yet is stale once that loop started longer ago than this, ms. */
  startGraceMs: number;
}

/**
 * The instant at which the token became (or will become) stale: its last heartbeat plus the
 * stale threshold once its current loop has heartbeat; otherwise the start of its current loop
 * (its claim, or the token's creation) plus the start grace. Restart claims in this order, the
 * stalest first.
 */
export function staleSince(token: TokenRecord, settings: StalenessSettings): number {
  if (hasHeartbeatSinceStart(token)) return (token.lastUsed ?? 0) + settings.staleAfterMs;
  return (token.startedAt ?? token.createdAt) + settings.startGraceMs;
}

/**
 * Whether a token's loop is presumed dead: its heartbeat is older than the stale threshold, or its
 * current loop has not heartbeat and was started (claimed, or the token created) longer ago than
 * the start grace. A claimed token whose start failed is therefore retried after the start grace.
 */
export function isStale(token: TokenRecord, now: number, settings: StalenessSettings): boolean {
  return now > staleSince(token, settings);
}
