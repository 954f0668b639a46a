import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { RouteStore } from "./ports.js";
import { queueNameOf } from "./queueName.js";
import { InvalidStoredRouteError } from "./routeStoreErrors.js";

/** Resolves the route of a queue URL, as the poller needs it on every cycle. */
export interface RouteResolver {
  /** The route of the queue, or undefined when the queue has none. */
  resolve(queueUrl: string): Promise<Route | undefined>;
}

export interface RouteResolverOptions {
  store: Pick<RouteStore, "get">;
  clock: Pick<Clock, "now">;
  /** How long a found route is served from the cache; bounds how long an edit takes to apply. */
  ttlMs: number;
  /**
   * How long a miss is cached (default: min(ttlMs, 2 s)). Kept short so that a
   * route added after a loop started is picked up quickly, while a loop of a
   * removed route does not hammer the store on every idle wait.
   */
  missTtlMs?: number;
  /** Says why a stored route that does not parse is skipped (default: silent). */
  logger?: Pick<Logger, "error">;
}

interface Entry {
  route: Route | undefined;
  fetchedAt: number;
}

/**
 * A TTL cache over a RouteStore, keyed by queue name. When the store fails, a
 * previously fetched value (even an expired one) keeps being served, so that a
 * flaky parameter store does not stop queues from draining; with nothing cached,
 * the error propagates.
 *
 * A stored route that does not parse (a queue URL outside SQS, a number past its ceiling, broken
 * JSON) is logged and skipped: the queue is treated as having no route until `routes set` repairs
 * it, so nothing it names is ever received from or invoked.
 */
export function createRouteResolver(options: RouteResolverOptions): RouteResolver {
  const { store, clock, ttlMs } = options;
  const missTtlMs = options.missTtlMs ?? Math.min(ttlMs, 2_000);
  const cache = new Map<string, Entry>();

  return {
    async resolve(queueUrl) {
      const name = queueNameOf(queueUrl);
      const cached = cache.get(name);
      const now = clock.now();
      if (cached) {
        const ttl = cached.route ? ttlMs : missTtlMs;
        if (now - cached.fetchedAt < ttl) return cached.route;
      }
      try {
        const route = await store.get(name);
        cache.set(name, { route, fetchedAt: clock.now() });
        return route;
      } catch (error) {
        if (error instanceof InvalidStoredRouteError) {
          options.logger?.error(
            "stored route does not parse; skipped until repaired ('routes set' or 'routes rm')",
            {
              queueUrl,
              error: error.message,
            },
          );
          cache.set(name, { route: undefined, fetchedAt: clock.now() });
          return undefined;
        }
        if (cached) return cached.route;
        throw error;
      }
    },
  };
}
