import { type AdminApiMethod, adminApiCacheKeyParameters } from "@sqs-dispatcher/config";

/** The request values API Gateway can key a cache on. */
export interface CacheableRequest {
  pathParameters: Readonly<Record<string, string>>;
  queryStringParameters: Readonly<Record<string, string>>;
}

/**
 * API Gateway's stage-cache key rule: the method, the resource path, and the values of exactly
 * the integration's `cacheKeyParameters` (the same list the stack declares). A parameter that is
 * not a cache key does not split the cache, as on AWS.
 */
export function cacheKeyOf(method: AdminApiMethod, request: CacheableRequest): string {
  const parts = adminApiCacheKeyParameters(method).map((parameter) => {
    const [, , location, name = ""] = parameter.split(".");
    const value = location === "path" ? request.pathParameters[name] : request.queryStringParameters[name];
    return `${parameter}=${value === undefined ? "" : encodeURIComponent(value)}`;
  });
  return [method.httpMethod, method.resource, ...parts].join(" ");
}

/** A cached response. */
export interface CachedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A TTL response cache keyed by {@link cacheKeyOf}; time comes from the injected `now`. */
export interface ResponseCache {
  get(key: string): CachedResponse | undefined;
  set(key: string, response: CachedResponse): void;
  readonly size: number;
}

export function createResponseCache(options: { ttlMs: number; now: () => number }): ResponseCache {
  const entries = new Map<string, { expiresAt: number; response: CachedResponse }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (options.now() >= entry.expiresAt) {
        entries.delete(key);
        return undefined;
      }
      return entry.response;
    },
    set(key, response) {
      if (options.ttlMs <= 0) return;
      entries.set(key, { expiresAt: options.now() + options.ttlMs, response });
    },
    get size() {
      return entries.size;
    },
  };
}
