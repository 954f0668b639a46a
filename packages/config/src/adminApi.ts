import { z } from "zod";
import { isQueueName, queueNameRule } from "./schema.js";

/**
 * What `GET /queues/{name}` (and `GET /queues`) can show: `summary` counts loops,
 * `loops` lists every token with its heartbeat.
 */
export const AdminApiView = { Summary: "summary", Loops: "loops" } as const;
export type AdminApiView = (typeof AdminApiView)[keyof typeof AdminApiView];

/** One method of the admin REST API, with the request parameters it declares. */
export interface AdminApiMethod {
  readonly httpMethod: "GET";
  /** API Gateway resource path, `{name}` for a path parameter. */
  readonly resource: string;
  /** Path parameters, each required. */
  readonly pathParameters: readonly string[];
  /** Query string parameters, each optional. */
  readonly queryStringParameters: readonly string[];
}

/**
 * The admin API's methods, defined once: the SST stack declares exactly these request
 * parameters and cache keys, and the local server caches by exactly the same rule.
 * Everything a response depends on must be listed here, or a stage cache would serve
 * one entry for different requests.
 */
export const adminApiMethods = [
  {
    httpMethod: "GET",
    resource: "/queues",
    pathParameters: [],
    queryStringParameters: ["view", "limit", "after"],
  },
  {
    httpMethod: "GET",
    resource: "/queues/{name}",
    pathParameters: ["name"],
    queryStringParameters: ["view"],
  },
] as const satisfies readonly AdminApiMethod[];

/** The most queues one `GET /queues` page describes (and the default page size). */
export const adminApiPageMax = 50;

const queueName = z.string().refine(isQueueName, queueNameRule);
const view = z.enum([AdminApiView.Summary, AdminApiView.Loops]).default(AdminApiView.Summary);

/** Seconds a stage-cached (or locally cached) response is served before the handler runs again. */
export const adminApiCacheTtlSec = 10;

/** API Gateway's `RequestParameters` of a method: path parameters required, query string optional. */
export function adminApiRequestParameters(method: AdminApiMethod): Record<string, boolean> {
  return Object.fromEntries([
    ...method.pathParameters.map((p) => [`method.request.path.${p}`, true] as const),
    ...method.queryStringParameters.map((q) => [`method.request.querystring.${q}`, false] as const),
  ]);
}

/** API Gateway's `CacheKeyParameters` of a method's integration: every declared request parameter. */
export function adminApiCacheKeyParameters(method: AdminApiMethod): string[] {
  return Object.keys(adminApiRequestParameters(method));
}

/**
 * The one schema of an admin API request as the handler sees it (an API Gateway proxy
 * event's `resource`, `pathParameters` and `queryStringParameters`). Unknown query
 * parameters are dropped, not refused: they are not cache keys, so the response must
 * not depend on them.
 */
export const adminApiRequestSchema = z.discriminatedUnion("resource", [
  z.object({
    resource: z.literal("/queues"),
    queryStringParameters: z
      .object({
        view,
        /** Queues per page, 1-50: every queue of a page costs a GetQueueAttributes and a Query. */
        limit: z
          .string()
          .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${adminApiPageMax}`)
          .transform(Number)
          .pipe(
            z
              .int()
              .min(1, `must be a whole number from 1 to ${adminApiPageMax}`)
              .max(adminApiPageMax, `must be a whole number from 1 to ${adminApiPageMax}`),
          )
          .default(adminApiPageMax),
        /** The page starts after this queue name (the previous page's `next`). */
        after: queueName.optional(),
      })
      .nullish()
      .transform((q) => q ?? { view: AdminApiView.Summary, limit: adminApiPageMax }),
  }),
  z.object({
    resource: z.literal("/queues/{name}"),
    pathParameters: z.object({ name: queueName }),
    queryStringParameters: z
      .object({ view })
      .nullish()
      .transform((q) => q ?? { view: AdminApiView.Summary }),
  }),
]);
export type AdminApiRequest = z.output<typeof adminApiRequestSchema>;
