import { type LoopLimitValues, limitRoutes, type Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { hasHeartbeatSinceStart } from "../lease/heartbeatSinceStart.js";
import type { LeaseStore } from "../lease/ports.js";
import { dedicatedTokens, groupLeaseKey, isMemberRow } from "../lease/sharedGroup.js";
import type { TokenRecord } from "../lease/token.js";
import type { Logger } from "../logger.js";
import type { RouteStore } from "../routing/ports.js";
import { queueNameOf } from "../routing/queueName.js";
import { InvalidStoredRouteError } from "../routing/routeStoreErrors.js";
import { describeCapacity } from "./describeCapacity.js";
import { describeFunction, type FunctionStatusSource } from "./describeFunction.js";
import type {
  AccountConcurrencyReader,
  AlarmReader,
  QueueAlarm,
  QueueAttributes,
  QueueDirectory,
} from "./ports.js";
import {
  type DeadLetterStatus,
  type QueueLoopStatus,
  type QueueStatus,
  RouteState,
  type SharedLoopStatus,
  type StatusReport,
} from "./queueStatus.js";

/** What the status functions read from; only reads, never writes. */
export interface StatusDeps {
  routes: Pick<RouteStore, "get" | "list">;
  leases: Pick<LeaseStore, "listByQueue">;
  queues: QueueDirectory;
  alarms: AlarmReader;
  clock: Pick<Clock, "now">;
  logger: Pick<Logger, "warn">;
  /** With it, `describeQueues` adds the concurrency headroom (`capacity`). */
  account?: AccountConcurrencyReader;
  /** With it, each routed queue shows its function (`function`): external or built, ARN, timeout, reserved concurrency. */
  functions?: FunctionStatusSource;
  /** The registry's loop limits: with them, a route over them is flagged (`clamped`), as run time clamps it. */
  limits?: LoopLimitValues;
}

/** Why each route over the loop limits is clamped at run time, by queue name (`limitRoutes`). */
function clampedReasons(deps: StatusDeps, routes: readonly Route[]): Map<string, string> {
  const reasons = new Map<string, string>();
  if (deps.limits === undefined) return reasons;
  for (const route of limitRoutes(routes, deps.limits)) {
    if (route.clamped !== undefined) reasons.set(route.queueName, route.clamped);
  }
  return reasons;
}

/** The last segment of an ARN (`arn:aws:sqs:us-east-1:123:orders-dlq` → `orders-dlq`). */
function nameOfArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(":") + 1);
}

function loopStatusOf(t: TokenRecord, now: number): QueueLoopStatus {
  // A claimed token keeps the old loop's lastUsed until the new loop heartbeats: not this loop's.
  const beat = hasHeartbeatSinceStart(t) ? t.lastUsed : undefined;
  return {
    token: t.token,
    loopId: t.loopId,
    lastUsed: beat ?? null,
    heartbeatAgeMs: Math.max(0, now - (beat ?? t.startedAt ?? t.createdAt)),
    startedAt: t.startedAt ?? null,
    blockedReason: t.blockedReason ?? null,
  };
}

/** A queue's dedicated loops, and the shared loop (its group's lease row) when one polls it. */
async function loopsOf(
  deps: StatusDeps,
  queueUrl: string,
): Promise<{ loops: QueueLoopStatus[]; shared: SharedLoopStatus | null }> {
  const now = deps.clock.now();
  const tokens = await deps.leases.listByQueue(queueUrl);
  const loops = dedicatedTokens(tokens)
    .map((t) => loopStatusOf(t, now))
    .sort((a, b) => a.token.localeCompare(b.token));
  const group = tokens.find(isMemberRow)?.group;
  if (group === undefined) return { loops, shared: null };
  const lease = (await deps.leases.listByQueue(groupLeaseKey(group).queueUrl)).find(
    (t) => t.token === groupLeaseKey(group).token,
  );
  return {
    loops,
    shared: { group, members: lease?.members?.length ?? 0, loop: lease ? loopStatusOf(lease, now) : null },
  };
}

/**
 * Alarms are context, not the queue's state: when the alarm service cannot be read (no permission,
 * a local cloud without CloudWatch) status still reports the queues, with no alarms, and warns.
 */
async function readAlarms(deps: StatusDeps, queueName?: string): Promise<QueueAlarm[]> {
  try {
    return await deps.alarms.queueAlarms(queueName);
  } catch (error) {
    deps.logger.warn("could not read alarms; showing queues without them", {
      error: error instanceof Error ? error.message : String(error),
    });
    return [];
  }
}

/** Routes that parse; a corrupt stored route is reported and its queue shown as unrouted. */
async function readRoutes(deps: StatusDeps): Promise<Route[]> {
  try {
    return await deps.routes.list();
  } catch (error) {
    if (!(error instanceof InvalidStoredRouteError)) throw error;
    deps.logger.warn(error.message, { keys: error.invalid.map((i) => i.key) });
    return [...error.valid];
  }
}

async function dlqOf(
  deps: StatusDeps,
  attributes: QueueAttributes | undefined,
  known: Map<string, { url: string; attributes: QueueAttributes | undefined }>,
): Promise<DeadLetterStatus | null> {
  const target = attributes?.deadLetterTargetArn;
  if (target === undefined) return null;
  const name = nameOfArn(target);
  let entry = known.get(name);
  if (entry === undefined) {
    const url = await deps.queues.queueUrl(name);
    entry = url === undefined ? undefined : { url, attributes: await deps.queues.attributes(url) };
  }
  return { name, url: entry?.url ?? null, visible: entry?.attributes?.visible ?? null };
}

async function statusOf(
  deps: StatusDeps,
  name: string,
  url: string,
  route: Route | null,
  attributes: QueueAttributes | undefined,
  alarms: QueueAlarm[],
  known: Map<string, { url: string; attributes: QueueAttributes | undefined }>,
  clamped: ReadonlyMap<string, string>,
): Promise<QueueStatus> {
  // Loops are keyed by the URL the route gives them; an unrouted queue may still hold leftover tokens.
  const { loops, shared } = await loopsOf(deps, route?.queueUrl ?? url);
  const blockedReason = loops.find((l) => l.blockedReason !== null)?.blockedReason ?? null;
  const state =
    route === null
      ? RouteState.Unrouted
      : route.paused
        ? RouteState.Paused
        : blockedReason !== null
          ? RouteState.Blocked
          : RouteState.Active;
  return {
    name,
    url,
    route,
    loops,
    shared,
    state,
    blockedReason: state === RouteState.Blocked ? blockedReason : null,
    handlerConcurrency: route === null ? null : loops.length * route.concurrency,
    clamped: route === null ? null : (clamped.get(route.queueName) ?? null),
    visible: attributes?.visible ?? null,
    inFlight: attributes?.inFlight ?? null,
    delayed: attributes?.delayed ?? null,
    dlq: await dlqOf(deps, attributes, known),
    function:
      route === null || !deps.functions ? null : await describeFunction(deps.functions, route.functionName),
    alarms: alarms
      .filter((a) => a.queueName === name)
      .map((a) => ({ name: a.name, state: a.state }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/**
 * The state of every queue: the routed ones plus any other queue the account lists, except queues
 * that are another queue's DLQ (shown as that queue's `dlq`) unless they are routed themselves.
 *
 * @example
 * const { queues } = await describeQueues({ routes, leases, queues: directory, alarms, clock, logger });
 */
export async function describeQueues(deps: StatusDeps): Promise<StatusReport> {
  const [routes, urls, alarms] = await Promise.all([
    readRoutes(deps),
    deps.queues.listQueueUrls(),
    readAlarms(deps),
  ]);
  const known = new Map<string, { url: string; attributes: QueueAttributes | undefined }>();
  await Promise.all(
    urls.map(async (url) =>
      known.set(queueNameOf(url), { url, attributes: await deps.queues.attributes(url) }),
    ),
  );
  const deadLetterNames = new Set<string>();
  for (const { attributes } of known.values()) {
    if (attributes?.deadLetterTargetArn) deadLetterNames.add(nameOfArn(attributes.deadLetterTargetArn));
  }
  const routeByName = new Map(routes.map((r) => [r.queueName, r]));
  const names = new Set<string>([...routeByName.keys()]);
  for (const name of known.keys()) if (!deadLetterNames.has(name)) names.add(name);

  const clamped = clampedReasons(deps, routes);
  const queues = await Promise.all(
    [...names].sort().map(async (name) => {
      const route = routeByName.get(name) ?? null;
      const listed = known.get(name);
      const url = listed?.url ?? route?.queueUrl ?? name;
      // A routed queue the listing lacks (deleted, or listed under another host) is looked up by its URL.
      const attributes = listed
        ? listed.attributes
        : route
          ? await deps.queues.attributes(route.queueUrl)
          : undefined;
      return statusOf(deps, name, url, route, attributes, alarms, known, clamped);
    }),
  );
  if (!deps.account) return { queues };
  const loopsNow = queues.reduce((sum, q) => sum + (q.route ? q.loops.length : 0), 0);
  const capacity = await describeCapacity({ account: deps.account, logger: deps.logger }, routes, loopsNow);
  return { queues, capacity };
}

/**
 * The state of one queue, in the same shape as {@link describeQueues}: `{ queues: [status] }`,
 * or `{ queues: [] }` when the queue is neither routed nor exists.
 */
export async function describeQueue(deps: StatusDeps, queueName: string): Promise<StatusReport> {
  const [route, listedUrl, alarms] = await Promise.all([
    deps.routes.get(queueName),
    deps.queues.queueUrl(queueName),
    readAlarms(deps, queueName),
  ]);
  const url = listedUrl ?? route?.queueUrl;
  if (url === undefined) return { queues: [] };
  const attributes = await deps.queues.attributes(url);
  // The total limit depends on every route: read them all only when limits are known.
  const clamped =
    deps.limits === undefined ? new Map<string, string>() : clampedReasons(deps, await readRoutes(deps));
  return {
    queues: [await statusOf(deps, queueName, url, route ?? null, attributes, alarms, new Map(), clamped)],
  };
}

/** One page of {@link describeQueuesPage}: the queues, and where the next page starts. */
export interface StatusPage extends StatusReport {
  /** The name to pass as `after` for the next page; absent on the last page. */
  next?: string;
}

/** How many queues a page describes at once (each is a GetQueueAttributes and a tokens Query). */
const pageConcurrency = 10;

async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    results.push(...(await Promise.all(items.slice(i, i + size).map(run))));
  }
  return results;
}

/**
 * One page of {@link describeQueues}, for callers that must bound their work (the admin API): the
 * routed and listed queue names in order, `limit` of them after `after`, each described with at
 * most ten requests in flight. The listing and the routes are read whole (cheap, paginated calls);
 * only the page's queues are described. A DLQ is folded into its source queue when both are on the
 * page; otherwise it is listed as a queue of its own. The first page also carries the account's
 * concurrency headroom (`capacity`, one tokens Query per route) when the deps can read it.
 */
export async function describeQueuesPage(
  deps: StatusDeps,
  options: { limit: number; after?: string },
): Promise<StatusPage> {
  const [routes, urls] = await Promise.all([readRoutes(deps), deps.queues.listQueueUrls()]);
  const listed = new Map(urls.map((url) => [queueNameOf(url), url]));
  const routeByName = new Map(routes.map((r) => [r.queueName, r]));
  const names = [...new Set([...routeByName.keys(), ...listed.keys()])]
    .sort()
    .filter((name) => options.after === undefined || name > options.after);
  const page = names.slice(0, options.limit);
  const alarms = page.length > 0 ? await readAlarms(deps) : [];
  const known = new Map<string, { url: string; attributes: QueueAttributes | undefined }>();
  await inBatches(page, pageConcurrency, async (name) => {
    const url = listed.get(name) ?? routeByName.get(name)?.queueUrl ?? name;
    known.set(name, { url, attributes: await deps.queues.attributes(url) });
  });
  const deadLetterNames = new Set<string>();
  for (const { attributes } of known.values()) {
    if (attributes?.deadLetterTargetArn) deadLetterNames.add(nameOfArn(attributes.deadLetterTargetArn));
  }
  const shown = page.filter((name) => routeByName.has(name) || !deadLetterNames.has(name));
  const clamped = clampedReasons(deps, routes);
  const queues = await inBatches(shown, pageConcurrency, (name) => {
    const entry = known.get(name);
    return statusOf(
      deps,
      name,
      entry?.url ?? name,
      routeByName.get(name) ?? null,
      entry?.attributes,
      alarms,
      known,
      clamped,
    );
  });
  const last = page[page.length - 1];
  const next = names.length > page.length && last !== undefined ? { next: last } : {};
  // The concurrency headroom counts every route's loops, so only the first page carries it.
  if (!deps.account || options.after !== undefined) return { queues, ...next };
  const counts = await inBatches(
    routes,
    pageConcurrency,
    async (r) => (await deps.leases.listByQueue(r.queueUrl)).length,
  );
  const loopsNow = counts.reduce((sum, n) => sum + n, 0);
  const capacity = await describeCapacity({ account: deps.account, logger: deps.logger }, routes, loopsNow);
  return { queues, capacity, ...next };
}
