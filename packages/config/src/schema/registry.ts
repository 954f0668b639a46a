import { z } from "zod";
import { NoMatchKind, parseNoMatchAction } from "../noMatchAction.js";
import { routableFunctionSchema } from "../routableFunctions.js";
import { checkRoutesFitStores } from "../routeSize.js";
import { isExternalFunction, registryFunctionSchema } from "./externalFunction.js";
import { functionNamePattern, isImportedQueue } from "./leaf.js";
import { loopLimitIssues, loopLimitsSchema } from "./loopLimits.js";
import { localOverridesSchema, pollerSchema, restartSchema, routeStoreKindSchema } from "./platform.js";
import {
  checkNoMatchInvokeFitsStaleness,
  checkRenewalFitsStaleness,
  checkReservedConcurrency,
  checkRoutesFit,
} from "./registryChecks.js";
import { routeConfigSchema } from "./route.js";

/** A `routableQueues` entry: a queue name, or a name prefix ending in `*`. */
const routableQueuePattern = /^(?:[A-Za-z0-9_-]{1,80}(?:\.fifo)?|[A-Za-z0-9_-]{1,79}\*)$/;

/**
 * Whether run-time routes may target `queueName`: every queue the registry routes, and those that
 * `routableQueues` names or prefixes (the stack grants the poller exactly these).
 */
export function isRoutableQueue(
  registry: Pick<Registry, "routes" | "routableQueues">,
  queueName: string,
): boolean {
  if (registry.routes.some((r) => r.queue.name === queueName)) return true;
  return registry.routableQueues.some((entry) =>
    entry.endsWith("*") ? queueName.startsWith(entry.slice(0, -1)) : entry === queueName,
  );
}

export const registrySchema = z
  .strictObject({
    app: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be lowercase letters, digits and '-'"),
    functions: z.record(
      z.string().regex(functionNamePattern, "must be a Lambda function name"),
      registryFunctionSchema,
    ),
    routes: z.array(routeConfigSchema).default([]),
    poller: pollerSchema.default(pollerSchema.parse({})),
    restart: restartSchema.default(restartSchema.parse({})),
    routeStore: z
      .strictObject({
        default: routeStoreKindSchema.default("ssm"),
        stages: z.record(z.string(), routeStoreKindSchema).default({}),
      })
      .default({ default: "ssm", stages: {} }),
    local: localOverridesSchema.default({ poller: {}, restart: {} }),
    limits: loopLimitsSchema.default(loopLimitsSchema.parse({})),
    /**
     * Queues that run-time routes (`dispatcher routes set`) may target besides the registry's own:
     * names, or name prefixes ending in `*` (`"reports-*"`). On AWS the poller's role is granted exactly
     * these, so a route to any other queue would only ever get AccessDenied.
     */
    routableQueues: z
      .array(
        z
          .string()
          .regex(
            routableQueuePattern,
            "must be a queue name, or a name prefix ending in '*' (letters, digits, '-' or '_')",
          ),
      )
      .default([]),
    /**
     * Functions outside the registry that run-time routes may target: names and name prefixes ending in
     * `*` (this account and region), or function ARNs (any account; qualified ARNs as written). On AWS
     * the poller's role may invoke exactly these, besides the registry's functions.
     */
    routableFunctions: z.array(routableFunctionSchema).default([]),
    /**
     * Deploy the example handlers (packages/functions/src/handlers/, which obey `sleepMs`/`fail`/`crash`
     * in message bodies) and their `processed` table to AWS. Off by default: they are for the local cloud.
     */
    examples: z.boolean().default(false),
  })
  .superRefine((registry, ctx) => {
    const seen = new Set<string>();
    registry.routes.forEach((route, i) => {
      const fn = registry.functions[route.function];
      // Only a created queue's visibility timeout is the registry's: an imported queue's owner must keep
      // it at least the handler's timeout (docs/deploy.md says so).
      if (!fn) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "function"],
          message: `names function '${route.function}', which the registry does not declare (declared: ${Object.keys(registry.functions).join(", ") || "none"})`,
        });
      } else if (isExternalFunction(fn)) {
        // Its timeout is Lambda's to tell: the deploys and `routes set` read it and apply the same rule.
      } else if (!isImportedQueue(route.queue) && route.queue.visibilityTimeoutSec < fn.timeoutSec) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "queue", "visibilityTimeoutSec"],
          message: `queue visibility timeout (${route.queue.visibilityTimeoutSec}s) must be at least the timeout of function '${route.function}' (${fn.timeoutSec}s), as Lambda requires`,
        });
      } else if (
        !isImportedQueue(route.queue) &&
        route.batchWindowSec > 0 &&
        route.queue.visibilityTimeoutSec < fn.timeoutSec + route.batchWindowSec
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "batchWindowSec"],
          message: `a batching window of ${route.batchWindowSec}s plus the timeout of function '${route.function}' (${fn.timeoutSec}s) does not fit the queue's visibility timeout (${route.queue.visibilityTimeoutSec}s): shorten the window or raise visibilityTimeoutSec to at least ${fn.timeoutSec + route.batchWindowSec}`,
        });
      }
      const noMatch = route.onNoMatch === undefined ? undefined : parseNoMatchAction(route.onNoMatch);
      const noMatchFn =
        noMatch?.kind === NoMatchKind.Invoke ? registry.functions[noMatch.functionName] : undefined;
      if (noMatch?.kind === NoMatchKind.Invoke && noMatchFn === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "onNoMatch"],
          message: `invokes function '${noMatch.functionName}', which the registry does not declare (declared: ${Object.keys(registry.functions).join(", ") || "none"})`,
        });
      } else if (
        noMatch?.kind === NoMatchKind.Invoke &&
        noMatchFn !== undefined &&
        !isExternalFunction(noMatchFn) &&
        !isImportedQueue(route.queue) &&
        route.queue.visibilityTimeoutSec < noMatchFn.timeoutSec
      ) {
        // Its messages stay invisible only for the queue's visibility timeout while it runs.
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "onNoMatch"],
          message: `queue visibility timeout (${route.queue.visibilityTimeoutSec}s) must be at least the timeout of function '${noMatch.functionName}' (${noMatchFn.timeoutSec}s), which onNoMatch invokes`,
        });
      }
      if (seen.has(route.queue.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "queue", "name"],
          message: `queue '${route.queue.name}' is routed twice`,
        });
      }
      seen.add(route.queue.name);
    });
    for (const issue of loopLimitIssues(
      registry.routes.map((r) => ({
        queueName: r.queue.name,
        maxLoops: r.maxLoops,
        concurrency: r.concurrency,
      })),
      registry.limits,
    )) {
      ctx.addIssue({
        code: "custom",
        path: issue.index === undefined ? ["limits", "maxLoopsTotal"] : ["routes", issue.index, issue.field],
        message: issue.message,
      });
    }
    checkReservedConcurrency(registry, ctx);
    checkRoutesFitStores(registry, (issue) => ctx.addIssue({ code: "custom", ...issue }));
    const longestWindowSec = Math.max(0, ...registry.routes.map((r) => r.batchWindowSec));
    const local = {
      poller: { ...registry.poller, ...registry.local.poller },
      restart: { ...registry.restart, ...registry.local.restart },
    };
    // The settings alone first (no window), then each route with its own window and handler.
    checkRenewalFitsStaleness(registry.poller, registry.restart, 0, [], ctx);
    checkRoutesFit(registry, registry.poller, registry.restart, [], ctx);
    checkNoMatchInvokeFitsStaleness(registry, longestWindowSec, ctx);
    checkRenewalFitsStaleness(local.poller, local.restart, 0, ["local"], ctx);
    checkRoutesFit(registry, local.poller, local.restart, ["local"], ctx);
  });

export type Registry = z.infer<typeof registrySchema>;
export type RegistryInput = z.input<typeof registrySchema>;
