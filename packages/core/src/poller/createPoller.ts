import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import type { FunctionInfoCache } from "../functions/functionInfoCache.js";
import type { LeaseStore, LoopStarter } from "../lease/ports.js";
import type { LoopEvent } from "../lease/token.js";
import type { Logger } from "../logger.js";
import { discardMetrics, type MetricsSink } from "../metrics/ports.js";
import type { QueueClient, Receive } from "../queue/ports.js";
import { type BackoffPolicy, defaultBackoff } from "../retry/backoff.js";
import { queueNameOf } from "../routing/queueName.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import { endInvocation } from "./endOfInvocation.js";
import { createLoopInvocation, type InvocationContext } from "./loopInvocation.js";
import type { LoopOutcome } from "./loopOutcome.js";
import { createQueueLane, type LaneTiming, type QueueLaneDeps } from "./queueLane.js";

/** The timing a lane keeps to, from the poller's settings (dedicated and shared loops alike). */
export function laneTimingOf(settings: PollerSettings): LaneTiming {
  return {
    waitMs: settings.waitTimeSec * 1000,
    marginMs: settings.marginSec * 1000,
    renewEverySec: settings.renewEverySec ?? 0,
    ...(settings.staleAfterSec !== undefined ? { staleAfterSec: settings.staleAfterSec } : {}),
    handlerTimeoutSecOf: (functionName) =>
      settings.handlerTimeoutSec?.[functionName] ?? settings.maxHandlerTimeoutSec,
    ...(settings.coldStartAllowanceSec !== undefined
      ? { coldStartAllowanceSec: settings.coldStartAllowanceSec }
      : {}),
  };
}

/** What every lane of one poller environment shares: its clients, timing and warm caches. */
export type LaneEnvironment = Omit<QueueLaneDeps, "queueUrl" | "routes" | "blockedBefore">;

/**
 * The environment-wide part of a lane's deps, made once per poller environment (dedicated and
 * shared loops alike) so the caches kept across warm invocations (visibility timeouts, refusing
 * functions, budget log times) live here and a lane gets exactly what a dedicated loop's gets.
 */
export function laneEnvironmentOf(
  deps: Pick<
    PollerDeps,
    "queue" | "receive" | "invoker" | "clock" | "settings" | "metrics" | "retry" | "ids" | "functions"
  >,
): LaneEnvironment {
  const { settings } = deps;
  return {
    queue: deps.queue,
    receive: deps.receive ?? ((queueUrl, options) => deps.queue.receive(queueUrl, options)),
    invoker: deps.invoker,
    clock: deps.clock,
    retry: deps.retry ?? defaultBackoff,
    metrics: deps.metrics ?? discardMetrics,
    region: settings.region ?? "us-east-1",
    waitTimeSec: settings.waitTimeSec,
    ...(settings.payloadLimitBytes !== undefined ? { payloadLimitBytes: settings.payloadLimitBytes } : {}),
    timing: laneTimingOf(settings),
    visibilityCache: new Map(),
    refusing: new Map(),
    budgetLoggedAt: new Map(),
    ids: deps.ids ?? randomUUID,
    ...(deps.functions ? { functions: deps.functions } : {}),
  };
}

/** Timing of one poller invocation. */
export interface PollerSettings {
  /** Long-poll wait of each ReceiveMessage, seconds (0–20). */
  waitTimeSec: number;
  /** Slack kept beyond one full cycle before the invocation ends, seconds. */
  marginSec: number;
  /** The longest timeout of any handler function, seconds: a batch for a function not in `handlerTimeoutSec` must fit it. */
  maxHandlerTimeoutSec: number;
  /** Each handler function's own timeout, seconds, by the name routes give it: a batch must fit its handler's. */
  handlerTimeoutSec?: Readonly<Record<string, number>>;
  /** Restart's stale threshold, seconds: a route whose window would let it take over a live loop is not run. */
  staleAfterSec?: number;
  /**
   * Renew the lease when this long has passed since the last verified renewal, seconds.
   * Default 0: before every receive.
   */
  renewEverySec?: number;
  /** Region for event ARNs when the queue URL's host does not name one (emulators). Default us-east-1. */
  region?: string;
  /**
   * Time kept for a cold start's init beyond the handler timeout, seconds; default Lambda's 10 s.
   * Every batch started must fit the handler timeout plus this.
   */
  coldStartAllowanceSec?: number;
  /** Largest serialized event per handler invoke; default Lambda's synchronous limit (6 MB). */
  payloadLimitBytes?: number;
}

export interface PollerDeps {
  leases: Pick<LeaseStore, "heartbeat" | "listByQueue">;
  routes: RouteResolver;
  /** SQS: the receive (unless `receive` is given), deletes and visibility changes. */
  queue: QueueClient;
  /**
   * The receive batches gather with: SQS's with the route's policies around it (rate limit,
   * filters), composed where the loop is assembled (`packages/functions/src/poller.ts`).
   * Default `queue.receive`.
   */
  receive?: Receive;
  invoker: FunctionInvoker;
  starter: LoopStarter;
  clock: Clock;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  settings: PollerSettings;
  /** Per-route metrics; default none. */
  metrics?: MetricsSink;
  /** Backoff of heartbeat, delete, invoke and self-invoke retries. */
  retry?: BackoffPolicy;
  /** Makes the random part of invocation ids; default random UUIDs. */
  ids?: () => string;
  /** The handlers' configuration as Lambda reports it (cached); see {@link QueueLaneDeps.functions}. */
  functions?: FunctionInfoCache;
}

export type { InvocationContext } from "./loopInvocation.js";

export interface Poller {
  /** Runs one invocation of a loop: dispatches while time is left, then recurses unless the lease was lost. */
  run(event: LoopEvent, context: InvocationContext): Promise<LoopOutcome>;
}

/**
 * Creates the poller: the recursive loop of the token protocol (docs/protocol.md), with the
 * invocation fence of docs/protocol.md (two invocations of one loop: the older ends).
 * One invocation ({@link createLoopInvocation}: its lease renewal, budget and outcome) drives
 * the queue's lane ({@link createQueueLane}: batch slots, gathering, dispatch, handlers that did
 * not run), which keeps up to the route's `concurrency` batches in the handler at once and
 * receives again as soon as a slot frees; then {@link endInvocation} waits for the batches in
 * flight, renewing meanwhile, and recurses.
 * Nothing a message or a handler does ends the loop; only losing the lease does, or a
 * tokens table that retrying cannot fix.
 *
 * @example
 * const poller = createPoller({ leases, routes, queue, receive, invoker, starter, clock, logger, settings });
 * await poller.run(event, { remainingTimeMs: () => context.getRemainingTimeInMillis() });
 */
export function createPoller(deps: PollerDeps): Poller {
  const { settings } = deps;
  // Kept across warm invocations of this environment.
  const environment = laneEnvironmentOf(deps);
  const { retry, metrics, ids } = environment;
  const marginMs = settings.marginSec * 1000;

  async function run(event: LoopEvent, context: InvocationContext): Promise<LoopOutcome> {
    const invocation = createLoopInvocation(
      {
        leases: deps.leases,
        clock: deps.clock,
        retry,
        logger: deps.logger,
        marginMs,
        renewEveryMs: (settings.renewEverySec ?? 0) * 1000,
        ids,
        state: () => ({ blockedReason: lane.blockedReason() }),
      },
      event,
      context,
    );
    const lane = createQueueLane(
      {
        ...environment,
        queueUrl: event.queueUrl,
        routes: deps.routes,
        // A cold environment does not remember a block: the token does, from the last invocation.
        blockedBefore: async () =>
          (await deps.leases.listByQueue(event.queueUrl)).find((t) => t.token === event.token)?.blockedReason,
      },
      invocation,
    );
    await lane.run();
    return endInvocation(
      {
        starter: deps.starter,
        clock: deps.clock,
        retry,
        metrics,
        queueName: queueNameOf(event.queueUrl),
        marginMs,
      },
      invocation,
      [lane.slots],
    );
  }

  return { run };
}
