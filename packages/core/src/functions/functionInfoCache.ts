import type { Clock } from "../clock.js";
import type { FunctionDetails, FunctionInfoReader } from "./ports.js";

/** Options of {@link createFunctionInfoCache}. */
export interface FunctionInfoCacheOptions {
  reader: FunctionInfoReader;
  clock: Pick<Clock, "monotonic">;
  /** How long a read is reused; bounds how long a changed timeout or a deleted function goes unnoticed. */
  ttlMs: number;
}

/** What Lambda reports of route handlers, read at most once per TTL per function. */
export interface FunctionInfoCache {
  /** The function's info (undefined: it does not exist), fresh within the TTL; a failed read is not cached. */
  get(functionRef: string): Promise<FunctionDetails | undefined>;
}

/**
 * Caches function reads, so a loop learns of a raised timeout, a new reserved concurrency or a deleted
 * function within `ttlMs` without one Lambda call per batch. Concurrent reads of one function share
 * one call.
 *
 * @example
 * const functions = createFunctionInfoCache({ reader, clock, ttlMs: 30_000 });
 * const info = await functions.get("arn:aws:lambda:eu-west-1:123456789012:function:billing:live");
 */
export function createFunctionInfoCache(options: FunctionInfoCacheOptions): FunctionInfoCache {
  const entries = new Map<string, { at: number; value: Promise<FunctionDetails | undefined> }>();
  return {
    get(functionRef) {
      const now = options.clock.monotonic();
      const cached = entries.get(functionRef);
      if (cached && now - cached.at < options.ttlMs) return cached.value;
      const value = options.reader.read(functionRef);
      entries.set(functionRef, { at: now, value });
      // A failed read is forgotten at once: the next get tries again.
      value.catch(() => {
        if (entries.get(functionRef)?.value === value) entries.delete(functionRef);
      });
      return value;
    },
  };
}
