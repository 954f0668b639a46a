import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import type { RouteStore } from "./ports.js";
import { queueNameOf } from "./queueName.js";

/** Resolves the route of a queue URL, as the poller needs it on every cycle. */
export interface RouteResolver {
  /** The route of the queue, or undefined when the queue has none. */
  resolve(queueUrl: string): Promise<Route | undefined>;
}

/** How long a cached route is trusted without re-reading it while the marker says nothing changed, by default. */
export const DEFAULT_ROUTE_MAX_AGE_MS = 5 * 60_000;

export interface RouteResolverOptions {
  /** With `version` (both stores have it), routes are re-read only when the marker changes. */
  store: Pick<RouteStore, "get"> & Partial<Pick<RouteStore, "version">>;
  clock: Pick<Clock, "now">;
  /**
   * How often the store is asked: the version marker once per TTL (with a marker), or each route
   * once per TTL (without). Bounds how long an edit takes to apply.
   */
  ttlMs: number;
  /**
   * Without a marker: how long a miss is cached (default: min(ttlMs, 2 s)). Kept short so that a
   * route added after a loop started is picked up quickly. With a marker a miss lasts until the
   * marker changes, like a hit.
   */
  missTtlMs?: number;
  /**
   * With a marker: a cached route (or miss) is re-read after this long even when the marker did not
   * change (default {@link DEFAULT_ROUTE_MAX_AGE_MS}), so a write whose marker bump failed still
   * applies in bounded time.
   */
  maxAgeMs?: number;
}

interface Entry {
  route: Route | undefined;
  fetchedAt: number;
  /** The marker value current when the entry was read (marker scheme only). */
  version?: string | undefined;
}

/** No marker read yet. */
const unknown = Symbol("unknown version");

/**
 * A cache over a RouteStore, keyed by queue name. With the store's version marker (the scheme of
 * docs/scale.md) the resolver makes **one marker read per TTL**, whatever the queues it serves, and
 * re-reads a route only when the marker changed since the route was read: an environment's route
 * reads no longer depend on misses or on how many routes it has seen, and at rest cost one small
 * read per TTL. Without a marker each route is re-read per TTL (misses per `missTtlMs`).
 *
 * When the store fails, a previously fetched value (even an expired one) keeps being served, so
 * that a flaky parameter store does not stop queues from draining; with nothing cached, the error
 * propagates.
 *
 * @example
 * const routes = createRouteResolver({ store: createSsmRouteStore({ ssm, path }), clock: systemClock, ttlMs: 10_000 });
 */
export function createRouteResolver(options: RouteResolverOptions): RouteResolver {
  const { store, clock, ttlMs } = options;
  const missTtlMs = options.missTtlMs ?? Math.min(ttlMs, 2_000);
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_ROUTE_MAX_AGE_MS;
  const cache = new Map<string, Entry>();
  const readVersion = store.version?.bind(store);

  let version: string | undefined | typeof unknown = unknown;
  let versionCheckedAt = Number.NEGATIVE_INFINITY;
  /** The last marker read failed: cached entries are then trusted per TTL, as without a marker. */
  let markerFailing = false;

  async function fetch(name: string, cached: Entry | undefined, tag: Entry["version"]) {
    try {
      const route = await store.get(name);
      cache.set(name, { route, fetchedAt: clock.now(), version: tag });
      return route;
    } catch (error) {
      if (cached) return cached.route;
      throw error;
    }
  }

  async function resolveWithMarker(name: string, read: () => Promise<string | undefined>) {
    const now = clock.now();
    if (now - versionCheckedAt >= ttlMs) {
      try {
        version = await read();
        markerFailing = false;
      } catch {
        // Tried again after a TTL; meanwhile routes are trusted per TTL, as without a marker.
        markerFailing = true;
      }
      versionCheckedAt = clock.now();
    }
    const cached = cache.get(name);
    const current = version === unknown ? undefined : version;
    if (cached) {
      const age = clock.now() - cached.fetchedAt;
      const unchanged = !markerFailing && version !== unknown && cached.version === current && age < maxAgeMs;
      if (unchanged || (markerFailing && age < ttlMs)) return cached.route;
    }
    return fetch(name, cached, current);
  }

  return {
    async resolve(queueUrl) {
      const name = queueNameOf(queueUrl);
      if (readVersion) return resolveWithMarker(name, readVersion);
      const cached = cache.get(name);
      const now = clock.now();
      if (cached) {
        const ttl = cached.route ? ttlMs : missTtlMs;
        if (now - cached.fetchedAt < ttl) return cached.route;
      }
      return fetch(name, cached, undefined);
    },
  };
}
