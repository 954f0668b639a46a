import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import { invokeWindowMs } from "../dispatch/invokeWindow.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import type { FunctionInfoCache } from "../functions/functionInfoCache.js";
import type { GroupStore, LeaseStore, LoopStarter } from "../lease/ports.js";
import { groupLease, groupOfLeaseRow, type SharedLoopEvent } from "../lease/sharedGroup.js";
import type { Logger } from "../logger.js";
import { type MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { QueueClient, Receive } from "../queue/ports.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import { queueNameOf } from "../routing/queueName.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import type { BatchSlots } from "./batchSlots.js";
import { laneEnvironmentOf, type PollerSettings } from "./createPoller.js";
import { endInvocation } from "./endOfInvocation.js";
import { createLoopInvocation, type InvocationContext, type LoopInvocation } from "./loopInvocation.js";
import { type LoopOutcome, LoopOutcomeStatus } from "./loopOutcome.js";
import { createQueueLane, type QueueLane } from "./queueLane.js";
import { recurse } from "./recurse.js";

/**
 * Handler slots a shared loop's busy members share beyond the one every member always has (its
 * long poll, then its batch): a member with traffic may run up to its route's `concurrency`
 * batches while fewer than this many extra are in flight across the group, so one busy member
 * neither starves the others nor holds more than its share of the environment's sockets.
 */
export const SHARED_EXTRA_BATCHES = 10;

/**
 * Lanes of one member that may fail unexpectedly in one invocation (an error thrown inside the
 * lane, not a failed receive or handler: those the lane handles itself). A failed lane is replaced
 * at the next member read; once a member's lanes failed this many times the invocation starts no
 * more batches and recurses, so the group's lease is never renewed for a member nobody polls.
 */
export const MAX_LANE_FAILURES = 3;

export interface SharedLoopDeps {
  leases: Pick<LeaseStore, "heartbeat" | "listByQueue">;
  /** Reads the group's member set. */
  groups: Pick<GroupStore, "readGroup">;
  routes: Pick<RouteResolver, "resolve">;
  queue: QueueClient;
  /** The receive every member's batches gather with (SQS's with each route's policies); default `queue.receive`. */
  receive?: Receive;
  invoker: FunctionInvoker;
  starter: LoopStarter<SharedLoopEvent>;
  clock: Clock;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  settings: PollerSettings;
  /** How often the member set is read again, ms (default the renewal interval, at least 1 s). */
  membersEveryMs?: number;
  /** Extra handler slots the members share (default {@link SHARED_EXTRA_BATCHES}). */
  extraBatches?: number;
  metrics?: MetricsSink;
  retry?: BackoffPolicy;
  ids?: () => string;
  /** The members' handlers as Lambda reports them (cached); see `QueueLaneDeps.functions`. */
  functions?: FunctionInfoCache;
}

export interface SharedLoop {
  /** Runs one invocation of a group's shared loop: every member's lane until time is up, then recurses unless the lease was lost. */
  run(event: SharedLoopEvent, context: InvocationContext): Promise<LoopOutcome>;
}

/**
 * Creates the shared loop (docs/protocol.md, "Shared loops"): one invocation holds the group's
 * lease (its lease row: one renewal on one timer, the invocation fence, take-over by restart) and
 * drives one {@link createQueueLane} per member, exactly the lane a dedicated loop drives, so
 * each member's batches get its route's handler, batch size and window, filters, rate limit, FIFO
 * hold-back, visibility extension, not-run handling and metrics. All members long-poll at once.
 * The member set is re-read on a timer: a new member gets a lane, a member that left idles (its
 * route reads as absent) until the invocation ends. A lane that throws is replaced at the next read;
 * a member whose lanes keep failing ({@link MAX_LANE_FAILURES}) ends the invocation early, so the
 * lease is not renewed on behalf of a member nobody polls.
 *
 * @example
 * const shared = createSharedLoop({ leases, groups, routes, queue, receive, invoker, starter, clock, logger, settings });
 * await shared.run({ group: "g-0", loopId }, { remainingTimeMs: () => context.getRemainingTimeInMillis() });
 */
export function createSharedLoop(deps: SharedLoopDeps): SharedLoop {
  const { settings, clock } = deps;
  // Kept across warm invocations of this environment, as a dedicated loop keeps them.
  const environment = laneEnvironmentOf(deps);
  const { retry, metrics, ids, timing } = environment;
  const marginMs = settings.marginSec * 1000;
  const renewEveryMs = (settings.renewEverySec ?? 0) * 1000;
  const membersEveryMs = Math.max(1_000, deps.membersEveryMs ?? renewEveryMs);
  const extraBatches = deps.extraBatches ?? SHARED_EXTRA_BATCHES;
  /** The longest cycle any member's batch may need: a lane joining later than this has no time for one. */
  const longestBatchMs = invokeWindowMs(settings.maxHandlerTimeoutSec, settings.coldStartAllowanceSec);

  async function run(event: SharedLoopEvent, context: InvocationContext): Promise<LoopOutcome> {
    /** The members' live lanes: a lane that failed leaves, and its member gets a new one at the next read. */
    const lanes = new Map<string, QueueLane>();
    /** Batch slots of every lane this invocation ran, failed ones included: their batches still finish. */
    const slots: BatchSlots[] = [];
    const running: Promise<void>[] = [];
    let members = new Set<string>();
    /** Unexpected lane failures per member in this invocation. */
    const failures = new Map<string, number>();
    /** Set once a member's lanes kept failing: no lane starts another batch, and the invocation recurses. */
    let stopping = false;
    const invocation = createLoopInvocation(
      {
        leases: deps.leases,
        clock,
        retry,
        logger: deps.logger,
        marginMs,
        renewEveryMs,
        ids,
        // The lease row carries what blocks any member, named by queue, for `status`.
        state: () => {
          const blocked = [...lanes.values()]
            .map((lane) =>
              lane.blockedReason() ? `${queueNameOf(lane.queueUrl)}: ${lane.blockedReason()}` : "",
            )
            .filter(Boolean);
          return { blockedReason: blocked.length > 0 ? blocked.join("; ") : undefined };
        },
      },
      groupLease(event),
      context,
    );
    const log = invocation.log;
    // What the lanes see of the invocation: once it is stopping, no renewal (so no further batch).
    const laneInvocation: LoopInvocation = {
      ...invocation,
      renewIfDue: async () => !stopping && (await invocation.renewIfDue()),
    };

    /** Batches across every member's lane now: the long polls and the batches in the handler. */
    const inFlight = () => [...lanes.values()].reduce((sum, lane) => sum + lane.slots.inHandler(), 0);

    /**
     * A member's route as its lane sees it: absent once the member left the group, and with a
     * concurrency that lets it start a batch only while it has none, or while the group's extra
     * slots are not all taken.
     */
    const memberRoutes = (queueUrl: string): Pick<RouteResolver, "resolve"> => ({
      async resolve(url) {
        if (!members.has(queueUrl)) return undefined;
        const route: Route | undefined = await deps.routes.resolve(url);
        if (!route) return route;
        const own = lanes.get(queueUrl)?.slots.inHandler() ?? 0;
        const free = Math.max(0, lanes.size + extraBatches - inFlight());
        return { ...route, concurrency: Math.max(1, Math.min(route.concurrency, own + free)) };
      },
    });

    /** Whether the invocation still has time for a whole cycle of a lane (receive, handler, margin). */
    const timeForACycle = () => invocation.remainingMs() >= timing.waitMs + longestBatchMs + marginMs;

    /**
     * A lane that threw (or could not be made) is dropped, so the member gets a new one at the next
     * member read; after {@link MAX_LANE_FAILURES} of them the invocation stops and recurses.
     */
    const laneFailed = (queueUrl: string, error: unknown) => {
      const count = (failures.get(queueUrl) ?? 0) + 1;
      failures.set(queueUrl, count);
      log.error("a member's lane failed unexpectedly; the member gets a new lane at the next member read", {
        memberQueueUrl: queueUrl,
        failures: count,
        error: describeError(error),
      });
      if (count >= MAX_LANE_FAILURES && !stopping) {
        stopping = true;
        log.error("a member's lane kept failing; the invocation starts no more batches and recurses", {
          memberQueueUrl: queueUrl,
          failures: count,
        });
      }
    };

    /** Starts a member's lane and keeps its slots for the end of the invocation. */
    const startLane = (queueUrl: string) => {
      const lane = createQueueLane(
        { ...environment, queueUrl, routes: memberRoutes(queueUrl) },
        laneInvocation,
      );
      lanes.set(queueUrl, lane);
      slots.push(lane.slots);
      running.push(
        lane.run().catch((error: unknown) => {
          if (lanes.get(queueUrl) === lane) lanes.delete(queueUrl);
          laneFailed(queueUrl, error);
        }),
      );
    };

    const addLanes = (urls: Iterable<string>) => {
      // A member that joins too late for a whole cycle is polled from the next invocation on.
      if (!timeForACycle() || stopping) return;
      for (const queueUrl of urls) {
        if (lanes.has(queueUrl)) continue;
        try {
          startLane(queueUrl);
        } catch (error) {
          laneFailed(queueUrl, error);
        }
      }
    };

    /** Reads the member set; false when the group's row is gone (its loop was ended). */
    async function readMembers(): Promise<boolean> {
      try {
        const row = await deps.groups.readGroup(event.group);
        if (!row) return false;
        members = new Set(row.members ?? []);
        addLanes(members);
      } catch (error) {
        // The last set read stays; the lease renewal decides whether the loop goes on.
        log.warn("could not read the group's members; keeping the last set", { error: describeError(error) });
      }
      return true;
    }

    if ((await invocation.renewIfDue()) && !(await readMembers())) {
      // The group's row went between the renewal and the read: the next renewal says why.
      invocation.expediteRenewal();
      await invocation.renewIfDue();
    }
    if (invocation.ended() === undefined) {
      log.info("shared loop polling its group", { group: event.group, members: members.size });
      // The member set is re-read on a timer while the lanes run; with no member yet (restart
      // fills or ends the group) that timer also keeps the lease renewed.
      const stopRefresh = new AbortController();
      const refresh = (async () => {
        while (!stopRefresh.signal.aborted && invocation.ended() === undefined && !stopping) {
          const lease = lanes.size === 0 ? invocation.msUntilRenewal() : Number.POSITIVE_INFINITY;
          await clock.sleep(Math.max(0, Math.min(membersEveryMs, lease)), stopRefresh.signal);
          if (stopRefresh.signal.aborted || stopping) break;
          if (lanes.size === 0) await invocation.renewIfDue();
          if (!(await readMembers())) {
            invocation.expediteRenewal();
            await invocation.renewIfDue();
          }
        }
      })();
      for (let awaited = 0; ; ) {
        if (awaited < running.length) {
          const batch = running.slice(awaited);
          awaited = running.length;
          await Promise.all(batch);
          continue;
        }
        // Every lane is done: time is up, the lease is lost or a member's lanes kept failing. A group
        // without members (or whose failed lanes wait for the next member read) idles until then.
        if (lanes.size > 0 || invocation.ended() !== undefined || stopping || !timeForACycle()) break;
        await clock.sleep(Math.min(membersEveryMs, Math.max(0, invocation.remainingMs() - marginMs)));
      }
      stopRefresh.abort();
      await refresh;
    }

    const sharedStarter: LoopStarter = {
      start: (lease) => deps.starter.start({ group: groupOfLeaseRow(lease), loopId: lease.loopId }),
    };
    const end = {
      starter: sharedStarter,
      clock,
      retry,
      metrics,
      queueName: `shared-${event.group}`,
      marginMs,
    };
    const unfinished = () => slots.reduce((sum, s) => sum + s.unfinished(), 0);
    if (invocation.ended() === undefined && unfinished() > 0) {
      // Every lane's last long poll may still run for a whole wait: the next invocation starts now
      // rather than after the slowest of them, so no member goes unpolled for a long poll at every
      // turn. Its first heartbeat takes the lease (and the fence); this one only lets its batches
      // finish and delete, renewing no more, and never recurses again.
      const early = await recurse(
        {
          starter: sharedStarter,
          clock,
          retry,
          logger: log,
          remainingTimeMs: invocation.remainingMs,
          reserveMs: Math.min(250, marginMs / 4),
        },
        invocation.event,
      );
      if (early) {
        await Promise.all(slots.map((s) => s.allFinished()));
        metrics.add(end.queueName, PollerMetric.Recursions, 1);
        metrics.flush();
        return { ...invocation.outcome, status: LoopOutcomeStatus.Recursed };
      }
    }
    return endInvocation(end, invocation, slots);
  }

  return { run };
}
