import type { TokenRecord } from "../lease/token.js";

export interface StalenessSettings {
  /** A token whose last heartbeat is older than this is stale, ms. */
  staleAfterMs: number;
  /** A token that never heartbeat is stale once its current loop started longer ago than this, ms. */
  startGraceMs: number;
}

/**
 * Whether a token's loop is presumed dead: its heartbeat is older than the stale
 * threshold, or it never heartbeat and its loop was started (or the token
 * created) longer ago than the start grace.
 */
export function isStale(token: TokenRecord, now: number, settings: StalenessSettings): boolean {
  if (token.lastUsed !== undefined) return now - token.lastUsed > settings.staleAfterMs;
  return now - (token.startedAt ?? token.createdAt) > settings.startGraceMs;
}
