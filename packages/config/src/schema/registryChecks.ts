import type { z } from "zod";
import { NoMatchKind, parseNoMatchAction } from "../noMatchAction.js";
import { listOffenders } from "../offenderList.js";
import { checkRouteFits } from "../routeBudget.js";
import { isExternalFunction, type RegistryFunction } from "./externalFunction.js";
import type { PollerConfig, RestartConfig } from "./platform.js";
import type { Registry } from "./registry.js";
import type { RouteConfig } from "./route.js";

/**
 * A function's reserved concurrency must admit one loop's batches in flight (the route's
 * `concurrency`): below that, the route's own loop throttles itself on every cycle.
 */
export function checkReservedConcurrency(
  registry: { functions: Record<string, RegistryFunction>; routes: RouteConfig[] },
  ctx: z.RefinementCtx,
): void {
  registry.routes.forEach((route, i) => {
    const fn = registry.functions[route.function];
    const reserved = fn === undefined || isExternalFunction(fn) ? undefined : fn.reservedConcurrency;
    if (reserved === undefined || reserved >= route.concurrency) return;
    ctx.addIssue({
      code: "custom",
      path: ["functions", route.function, "reservedConcurrency"],
      message: `reservedConcurrency (${reserved}) of function '${route.function}' must be at least the concurrency (${route.concurrency}) of the route of queue '${route.queue.name}' (routes[${i}]), or every loop throttles itself`,
    });
  });
}

/**
 * What the registry allows but will likely hurt, for the deploy to print: a function whose reserved
 * concurrency is below what its routes may run at once (`maxLoops × concurrency` summed) throttles
 * once scaling reaches that many loops.
 */
export function registryWarnings(registry: Registry): string[] {
  const warnings: string[] = [];
  for (const [name, fn] of Object.entries(registry.functions)) {
    if (isExternalFunction(fn) || fn.reservedConcurrency === undefined) continue;
    const routes = registry.routes.filter((r) => r.function === name);
    const peak = routes.reduce((sum, r) => sum + r.maxLoops * r.concurrency, 0);
    if (peak > fn.reservedConcurrency) {
      const largestFirst = [...routes].sort(
        (a, b) => b.maxLoops * b.concurrency - a.maxLoops * a.concurrency,
      );
      warnings.push(
        `function '${name}' has reservedConcurrency ${fn.reservedConcurrency}, below what its routes may run at once (${listOffenders(
          largestFirst.map((r) => `${r.queue.name} ${r.maxLoops}×${r.concurrency}`),
          " + ",
        )} = ${peak}): batches will be throttled at the top of scaling`,
      );
    }
  }
  return warnings;
}

/**
 * {@link checkRouteFits} for every route of the registry, with the given (AWS or local) settings;
 * each problem is reported on the route's `batchWindowSec`.
 */
export function checkRoutesFit(
  registry: {
    functions: Record<string, RegistryFunction>;
    routes: readonly { queue: { name: string }; function: string; batchWindowSec: number }[];
  },
  poller: PollerConfig,
  restart: RestartConfig,
  path: string[],
  ctx: z.RefinementCtx,
): void {
  const where = path.length ? `${path.join(".")} ` : "";
  registry.routes.forEach((route, i) => {
    const fn = registry.functions[route.function];
    // An existing function's timeout is Lambda's to tell: `routes set`, the local deploy and the loop
    // read it (the loop blocks the route while it does not fit).
    if (fn === undefined || isExternalFunction(fn)) return;
    const timing = { ...poller, staleAfterSec: restart.staleAfterSec };
    const input = {
      queueName: route.queue.name,
      batchWindowSec: route.batchWindowSec,
      functionName: route.function,
      handlerTimeoutSec: fn.timeoutSec,
    };
    for (const problem of checkRouteFits(input, timing)) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", i, "batchWindowSec"],
        message: `${where}${problem.message}`,
      });
    }
  });
}

/**
 * docs/protocol.md, "Renew the lease": a loop renews at most `renewEverySec` after its last verified renewal, plus
 * one full cycle when that moment falls inside one, plus the margin: all of it must pass before
 * restart would call the token stale. A loop's cycle between two renewal checks is one receive (a
 * long poll and the batching window): handlers run while the loop keeps renewing on its timer,
 * also while it waits for its last batches before recursing (docs/protocol.md).
 */
export function checkRenewalFitsStaleness(
  poller: PollerConfig,
  restart: RestartConfig,
  longestWindowSec: number,
  path: string[],
  ctx: z.RefinementCtx,
): void {
  const worstGapSec = poller.renewEverySec + poller.waitTimeSec + longestWindowSec + poller.marginSec;
  if (worstGapSec < restart.staleAfterSec) return;
  const where = path.length ? `${path.join(".")} ` : "";
  ctx.addIssue({
    code: "custom",
    path: [...path, "restart", "staleAfterSec"],
    message: `${where}restart.staleAfterSec (${restart.staleAfterSec}s) must exceed the longest gap between lease renewals: poller.renewEverySec (${poller.renewEverySec}) + poller.waitTimeSec (${poller.waitTimeSec}) + the longest batching window (${longestWindowSec}) + poller.marginSec (${poller.marginSec}) = ${worstGapSec}s; raise staleAfterSec above ${worstGapSec} or lower renewEverySec`,
  });
}
/**
 * `onNoMatch: "invoke:<function>"` runs the no-match function while the loop is receiving (the
 * filters apply to what a receive returns), so that function's timeout adds to the longest gap
 * between two renewals; it must still leave the token fresh, on AWS and locally.
 */
export function checkNoMatchInvokeFitsStaleness(
  registry: {
    functions: Record<string, RegistryFunction>;
    routes: { onNoMatch?: string | undefined }[];
    poller: PollerConfig;
    restart: RestartConfig;
    local: { poller: Partial<PollerConfig>; restart: Partial<RestartConfig> };
  },
  longestWindowSec: number,
  ctx: z.RefinementCtx,
): void {
  registry.routes.forEach((route, i) => {
    const action = route.onNoMatch === undefined ? undefined : parseNoMatchAction(route.onNoMatch);
    if (action?.kind !== NoMatchKind.Invoke) return;
    const fn = registry.functions[action.functionName];
    // An external function's timeout is unknown until Lambda is asked.
    if (fn === undefined || isExternalFunction(fn)) return;
    for (const [where, poller, restart] of [
      ["", registry.poller, registry.restart],
      [
        "local ",
        { ...registry.poller, ...registry.local.poller },
        { ...registry.restart, ...registry.local.restart },
      ],
    ] as const) {
      const gapSec =
        poller.renewEverySec + poller.waitTimeSec + longestWindowSec + poller.marginSec + fn.timeoutSec;
      if (gapSec < restart.staleAfterSec) continue;
      ctx.addIssue({
        code: "custom",
        path: ["routes", i, "onNoMatch"],
        message: `${where}restart.staleAfterSec (${restart.staleAfterSec}s) must exceed the longest gap between lease renewals plus the timeout of function '${action.functionName}' (${fn.timeoutSec}s), which onNoMatch invokes while the loop receives: ${gapSec}s; give that function a shorter timeout or raise staleAfterSec`,
      });
    }
  });
}
