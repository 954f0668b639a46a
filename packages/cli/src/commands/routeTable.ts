import { formatNoMatchAction, NoMatchKind, parseNoMatchAction, type Route } from "@sqs-dispatcher/config";
import type { CliContext } from "../context.js";
import { json, table } from "../format.js";
import type { CliIo } from "../io.js";

/** One line on a route's policies (filters, no-match action, rate limit), or none when it has none. */
export function policyLine(context: CliContext, route: Route): string {
  const parts: string[] = [];
  if (route.filters?.length) parts.push(`filters: ${route.filters.length} pattern(s)`);
  if (route.filters?.length || route.onNoMatch !== undefined) {
    const action = parseNoMatchAction(route.onNoMatch ?? NoMatchKind.Delete);
    const shown =
      action?.kind === NoMatchKind.Invoke
        ? formatNoMatchAction({ ...action, functionName: registryNameOf(context, action.functionName) })
        : (route.onNoMatch ?? NoMatchKind.Delete);
    parts.push(`no match: ${shown}`);
  }
  if (route.maxRate !== undefined) parts.push(`max rate: ${route.maxRate} msg/s`);
  return parts.length > 0 ? `${route.queueName}: ${parts.join(", ")}\n` : "";
}

/** The registry name of a stored function name, for display; the stored name when none matches. */
function registryNameOf(context: CliContext, functionName: string): string {
  return (
    Object.keys(context.registry.functions).find((n) => context.names.functionName(n) === functionName) ??
    functionName
  );
}

/** A table row per route: what `routes list`, `show` and `set` print. */
export function routeRows(context: CliContext, routes: readonly Route[]): string[][] {
  return routes.map((r) => [
    r.queueName,
    registryNameOf(context, r.functionName),
    r.batchWindowSec > 0 ? `${r.batchSize}/${r.batchWindowSec}s` : String(r.batchSize),
    String(r.concurrency),
    `${r.minLoops}-${r.maxLoops}`,
    String(r.scaleStep),
    r.paused ? "yes" : "no",
    r.source,
    r.updatedAt > 0 ? new Date(r.updatedAt).toISOString() : "-",
  ]);
}

/** The columns of {@link routeRows}. */
export const routeHeader = [
  "QUEUE",
  "FUNCTION",
  "BATCH",
  "CONCURRENCY",
  "LOOPS",
  "STEP",
  "PAUSED",
  "SOURCE",
  "UPDATED",
];

/** The routes as a table, or `{ routes }` as JSON. */
export function printRoutes(io: CliIo, context: CliContext, asJson: boolean, routes: readonly Route[]): void {
  if (asJson) io.stdout.write(json({ routes }));
  else if (routes.length === 0) io.stdout.write("no routes\n");
  else io.stdout.write(table(routeHeader, routeRows(context, routes)));
}
