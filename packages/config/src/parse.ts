import type { z } from "zod";
import { ConfigValidationError, describeIssues } from "./errors.js";
import { type Registry, type RegistryInput, type Route, registrySchema, routeSchema } from "./schema.js";

/** Parses `input` with `schema`, or throws a {@link ConfigValidationError} naming every broken rule. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success)
    throw new ConfigValidationError(what, describeIssues(result.error), { cause: result.error });
  return result.data;
}

/**
 * Declares the registry: functions, routes and platform settings, validated at once.
 *
 * @example
 * export default defineDispatcher({
 *   app: "shop",
 *   functions: { record: { handler: "packages/functions/src/handlers/record.handler" } },
 *   routes: [{ queue: { name: "orders" }, function: "record", maxLoops: 4 }],
 * });
 */
export function defineDispatcher(input: RegistryInput): Registry {
  return parseWith(registrySchema, input, "The dispatcher registry");
}

/** Parses a route as read from or written to a route store. */
export function parseRoute(input: unknown): Route {
  return parseWith(routeSchema, input, "The route");
}
