import {
  checkRouteFits,
  isExternalFunction,
  isRoutableQueue,
  loopLimitIssues,
  NoMatchKind,
  parseNoMatchAction,
  type QueueUrlScope,
  queueUrlProblem,
  type Registry,
  type Route,
  type RouteStoreKind,
  routeSizeProblem,
  settingsFor,
} from "@sqs-dispatcher/config";
import type { CliTarget } from "./context.js";

/** Whether the poller's role may send to `queueName`: a queue it may read, or a forward target the registry names. */
function isForwardTarget(registry: RouteEditInput["registry"], queueName: string): boolean {
  if (isRoutableQueue(registry, queueName)) return true;
  return registry.routes.some((r) => r.onNoMatch === `${NoMatchKind.Forward}:${queueName}`);
}

/** What {@link routeEditRefusals} checks an edited route against. */
export interface RouteEditInput {
  registry: Pick<Registry, "limits" | "routes" | "routableQueues">;
  target: CliTarget;
  /** The route as `routes set` would write it (already valid by the route schema). */
  route: Route;
  /** Every other stored route (the edited queue's old route may be among them: it is replaced). */
  stored: readonly Route[];
  /** The region the CLI's SQS client uses on AWS (the stack's partition follows from it). */
  region?: string;
  /** The store the route is written to: its JSON must fit (SSM's 8 KB, DynamoDB's 400 KB). */
  storeKind?: RouteStoreKind;
}

/**
 * The rules a run-time route edit must keep beyond the route schema, each as a line naming the flag
 * (or `<queue>`) and saying how to fix it; empty when the edit may be written.
 *
 * - The registry's loop limits, over the stored routes with this edit applied (the same rule
 *   `defineDispatcher` applies to the registry's routes).
 * - On AWS, only queues the poller's role can read: the registry's and `routableQueues`.
 * - Everywhere, a forward target the poller's role may send to: those queues and the registry's forward
 *   targets (the local cloud enforces the stack's IAM too).
 * - The queue URL points at SQS of the target: the stack's partition on AWS, the edge locally.
 * - The route as stored fits its store (`routeSizeProblem`).
 */
export function routeEditRefusals(input: RouteEditInput): string[] {
  const { registry, target, route } = input;
  const lines: string[] = [];
  const routes = [...input.stored.filter((r) => r.queueName !== route.queueName), route];
  for (const issue of loopLimitIssues(routes, registry.limits)) {
    const own = issue.index === undefined || routes[issue.index]?.queueName === route.queueName;
    if (own) lines.push(`--max-loops: ${issue.message}`);
  }
  if (target.kind === "aws" && !isRoutableQueue(registry, route.queueName)) {
    lines.push(
      `<queue>: the poller may not read queue '${route.queueName}' on AWS (its role covers the registry's queues and routableQueues): add '${route.queueName}' (or a prefix such as '${route.queueName.replace(/[-_][^-_]*$/, "")}-*') to routableQueues in dispatcher.config.ts and deploy, then set the route`,
    );
  }
  const forward = route.onNoMatch === undefined ? undefined : parseNoMatchAction(route.onNoMatch);
  if (forward?.kind === NoMatchKind.Forward && !isForwardTarget(registry, forward.queueName)) {
    lines.push(
      `--on-no-match: the poller may not send to queue '${forward.queueName}' (its role covers the registry's queues, its forward targets and routableQueues): add '${forward.queueName}' to routableQueues in dispatcher.config.ts and deploy, then set the route`,
    );
  }
  const scope: QueueUrlScope | undefined =
    target.kind === "local"
      ? { kind: "local", edge: target.endpoint }
      : input.region !== undefined
        ? { kind: "aws", region: input.region }
        : undefined;
  const problem = queueUrlProblem(route.queueUrl, route.queueName, scope);
  if (problem !== undefined) lines.push(`<queue>: the queue's URL '${route.queueUrl}' ${problem}`);
  const tooBig = input.storeKind === undefined ? undefined : routeSizeProblem(route, input.storeKind);
  if (tooBig !== undefined) lines.push(`--filters: the route ${tooBig}`);
  return lines;
}

/**
 * {@link checkRouteFits} for an edited route, with the target's poller and restart settings and the
 * timeout of the registry function it invokes (`functionKey`; none: nothing to check, as for a
 * route whose function left the registry), as `--batch-window` lines; empty when it fits.
 */
export function routeFitRefusals(
  registry: Registry,
  target: CliTarget,
  route: Route,
  functionKey: string | undefined,
): string[] {
  const fn = functionKey === undefined ? undefined : registry.functions[functionKey];
  // An existing function's timeout is Lambda's: `routes set` checks it against the queue's visibility
  // timeout once read, and the loop blocks the route (`blocked: budget`) while it does not fit.
  if (functionKey === undefined || fn === undefined || isExternalFunction(fn)) return [];
  const settings = settingsFor(
    registry,
    target.kind === "local" ? { kind: "local" } : { kind: "aws", stage: target.stage },
  );
  const timing = { ...settings.poller, staleAfterSec: settings.restart.staleAfterSec };
  const input = {
    queueName: route.queueName,
    batchWindowSec: route.batchWindowSec,
    functionName: functionKey,
    handlerTimeoutSec: fn.timeoutSec,
  };
  return checkRouteFits(input, timing).map((p) => `--batch-window: ${p.message}`);
}
