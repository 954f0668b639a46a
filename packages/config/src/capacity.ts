import { DispatcherError } from "./dispatcherError.js";
import type { PollerConfig, RouteStoreKind } from "./schema.js";

/**
 * Read throughput of each route store, reads a second (AWS's published limits).
 * SSM Parameter Store's standard throughput is 40 `GetParameter` (and `GetParameters`,
 * `GetParametersByPath`) a second per account and region; its paid "higher throughput" setting
 * raises that. DynamoDB serves 3,000 read units a second per partition; a route item or the
 * version marker is well under 4 KB, so one read costs at most one unit, and the marker, one item,
 * sits in one partition.
 */
export const RouteStoreThroughput = {
  ssm: 40,
  dynamodb: 3_000,
} as const satisfies Record<RouteStoreKind, number>;

/** AWS's default Lambda concurrency quota (executions at once across an account's region). */
export const DEFAULT_ACCOUNT_CONCURRENCY = 1_000;

/** `status` warns once loops and handlers at `maxLoops` would take more than this share of the account. */
export const CONCURRENCY_WARN_SHARE = 0.8;

/** Where a loop count and handler concurrency come from: a registry route or a stored one. */
export interface RouteCapacityInput {
  queueName: string;
  maxLoops: number;
  /** Batches in flight per loop, each a handler execution. */
  concurrency: number;
}

/** The route reads the platform can make at its worst, against its store's throughput. */
export interface RouteReadLoad {
  store: RouteStoreKind;
  /** Loops when every route runs at `maxLoops`. */
  loops: number;
  /** `poller.routeCacheTtlSec` (a TTL of 0 is counted as 1 s: a read per cycle, cycles of about a second). */
  ttlSec: number;
  /** Reads a second of one loop at rest: one version-marker read per TTL. */
  perLoopPerSec: number;
  /**
   * Reads a second at `maxLoops` in the TTL after a route edit: every loop's marker read plus every
   * loop's one re-read of its route.
   */
  worstCasePerSec: number;
  throughputPerSec: number;
}

/** The loops and handler executions the routes can take at `maxLoops`. */
export interface ConcurrencyDemand {
  /** Σ maxLoops: one poller execution per loop. */
  loops: number;
  /** Σ maxLoops × concurrency: each loop keeps up to `concurrency` handler invocations in flight. */
  handlers: number;
  total: number;
  /** The routes that take the most, largest first (at most five). */
  largest: (RouteCapacityInput & { total: number })[];
}

/** The worst-case route-read load of a set of routes (docs/scale.md, "Route reads"). */
export function routeReadLoad(
  routes: readonly Pick<RouteCapacityInput, "maxLoops">[],
  poller: Pick<PollerConfig, "routeCacheTtlSec">,
  store: RouteStoreKind,
): RouteReadLoad {
  const loops = routes.reduce((sum, r) => sum + r.maxLoops, 0);
  const ttlSec = Math.max(1, poller.routeCacheTtlSec);
  return {
    store,
    loops,
    ttlSec,
    perLoopPerSec: 1 / ttlSec,
    worstCasePerSec: (2 * loops) / ttlSec,
    throughputPerSec: RouteStoreThroughput[store],
  };
}

const n = (value: number) => Math.ceil(value).toLocaleString("en-US");

/**
 * What is wrong when the worst case exceeds the store's throughput, with the numbers and the
 * setting to change; undefined when it fits.
 */
export function routeReadProblem(load: RouteReadLoad): string | undefined {
  if (load.worstCasePerSec <= load.throughputPerSec) return undefined;
  const storeName =
    load.store === "ssm" ? "SSM Parameter Store's standard throughput" : "a DynamoDB partition";
  const neededTtl = Math.ceil((2 * load.loops) / load.throughputPerSec);
  const fixes = [
    ...(neededTtl <= 300 ? [`raise poller.routeCacheTtlSec to at least ${neededTtl}`] : []),
    ...(load.store === "ssm"
      ? [
          `set routeStore to "dynamodb" (${n(RouteStoreThroughput.dynamodb)} reads/s)`,
          "or lower the routes' maxLoops",
        ]
      : ["lower the routes' maxLoops"]),
  ];
  return (
    `route reads at maxLoops would exceed the route store: 2 × ${n(load.loops)} loops / ` +
    `routeCacheTtlSec ${load.ttlSec} s = ${n(load.worstCasePerSec)} reads/s in the TTL after a route edit, ` +
    `above ${storeName} of ${n(load.throughputPerSec)} reads/s; ${fixes.join(", ")}`
  );
}

/** Loops and handler executions at `maxLoops` (loops + loops × concurrency). */
export function concurrencyDemand(routes: readonly RouteCapacityInput[]): ConcurrencyDemand {
  let loops = 0;
  let handlers = 0;
  const byRoute = routes.map((r) => {
    loops += r.maxLoops;
    handlers += r.maxLoops * r.concurrency;
    return { ...r, total: r.maxLoops * (1 + r.concurrency) };
  });
  byRoute.sort((a, b) => b.total - a.total || a.queueName.localeCompare(b.queueName));
  return { loops, handlers, total: loops + handlers, largest: byRoute.slice(0, 5) };
}

/** The demand against an account's concurrency, as `status` shows it. */
export interface ConcurrencyHeadroom {
  /** The account's concurrency (`GetAccountSettings`), undefined when it could not be read. */
  accountLimit: number | undefined;
  demand: ConcurrencyDemand;
  /** accountLimit − demand.total (negative: over), undefined without a limit. */
  headroom: number | undefined;
  /** The demand takes more than {@link CONCURRENCY_WARN_SHARE} of the account. */
  warn: boolean;
  /** The demand exceeds the account. */
  exceeds: boolean;
}

/** Compares the routes' worst case with the account's concurrency. */
export function concurrencyHeadroom(
  routes: readonly RouteCapacityInput[],
  accountLimit: number | undefined,
): ConcurrencyHeadroom {
  const demand = concurrencyDemand(routes);
  if (accountLimit === undefined)
    return { accountLimit, demand, headroom: undefined, warn: false, exceeds: false };
  return {
    accountLimit,
    demand,
    headroom: accountLimit - demand.total,
    warn: demand.total > accountLimit * CONCURRENCY_WARN_SHARE,
    exceeds: demand.total > accountLimit,
  };
}

/** What is wrong when the worst case cannot fit the account's concurrency; undefined when it fits. */
export function concurrencyProblem(headroom: ConcurrencyHeadroom): string | undefined {
  if (!headroom.exceeds || headroom.accountLimit === undefined) return undefined;
  const { demand } = headroom;
  const largest = demand.largest
    .map((r) => `${r.queueName} ${r.maxLoops} × (1 + ${r.concurrency}) = ${n(r.total)}`)
    .join("; ");
  return (
    `loops and handlers at maxLoops would need ${n(demand.total)} concurrent executions ` +
    `(${n(demand.loops)} loops + ${n(demand.handlers)} handler invocations), above the account's ` +
    `Lambda concurrency of ${n(headroom.accountLimit)}; lower maxLoops or concurrency on the largest ` +
    `routes (${largest}), or ask AWS to raise the account's concurrency quota`
  );
}

/** The registry asks for more than the route store or the account can give. */
export class CapacityError extends DispatcherError {
  override readonly name = "CapacityError";
  constructor(
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`the registry does not fit: ${problems.join("; ")}`, { problems }, options);
  }
}

/** The routes of a registry as the capacity checks read them. */
export function registryCapacityInputs(
  routes: readonly { queue: { name: string }; maxLoops: number; concurrency: number }[],
): RouteCapacityInput[] {
  return routes.map((r) => ({ queueName: r.queue.name, maxLoops: r.maxLoops, concurrency: r.concurrency }));
}

/**
 * The deploy-time check: refuses (throws {@link CapacityError}, every problem named with its
 * numbers and the setting to change) a registry whose worst case exceeds its route store's read
 * throughput (when `checkRouteReads`) or, when the account's concurrency is known, the account.
 *
 * @example
 * checkDeployCapacity(registryCapacityInputs(registry.routes), { poller, routeStore, accountConcurrency: 1000 });
 */
export function checkDeployCapacity(
  routes: readonly RouteCapacityInput[],
  options: {
    poller: Pick<PollerConfig, "routeCacheTtlSec">;
    routeStore: RouteStoreKind;
    accountConcurrency?: number | undefined;
    /** Default true; the local cloud's stores have no throughput limit. */
    checkRouteReads?: boolean;
  },
): void {
  const problems: string[] = [];
  if (options.checkRouteReads ?? true) {
    const reads = routeReadProblem(routeReadLoad(routes, options.poller, options.routeStore));
    if (reads) problems.push(reads);
  }
  const concurrency = concurrencyProblem(concurrencyHeadroom(routes, options.accountConcurrency));
  if (concurrency) problems.push(concurrency);
  if (problems.length > 0) throw new CapacityError(problems);
}
