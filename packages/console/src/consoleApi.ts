import { parseRoute } from "@sqs-dispatcher/config";
import {
  addLoops,
  dedicatedTokens,
  describeQueues,
  limitedRoute,
  type MoveTask,
  type PeekedMessage,
  QueueSeries,
  type QueueStatus,
  queueSeriesQueries,
  type RouteState,
  removeLoops,
  systemClock,
} from "@sqs-dispatcher/core";
import type { ConsoleDeps } from "./consoleDeps.js";
import { ConsoleRequestError } from "./consoleErrors.js";
import type { LoopHistory } from "./loopHistory.js";
import { blockedReasonsOf } from "./routeState.js";

/** The shared loop that long-polls a quiet queue together with the other members of its group. */
export interface ConsoleSharedLoop {
  /** The group's id (`g-0`, …). */
  group: string;
  /** Queues the group polls, this one included. */
  members: number;
  /** The group's loop; null when its lease row is missing (restart recreates it). */
  loop: {
    loopId: string;
    /** Milliseconds since its last heartbeat; null while it is starting (no heartbeat yet). */
    heartbeatAgeMs: number | null;
  } | null;
}

/** One queue as the page shows it. */
export interface ConsoleQueue {
  name: string;
  state: RouteState;
  blockedReasons: string[];
  functionName: string | null;
  /** The route's function when the platform did not build it: its ARN (or name when unread) and reserved concurrency. */
  externalFunction: { arn: string; reservedConcurrency: number | null } | null;
  /** Dedicated loops: one per token of the queue (a shared loop is not one of them). */
  loops: number;
  /** The shared loop polling the queue; null when none does. */
  shared: ConsoleSharedLoop | null;
  /** How the route waits at rest when `minLoops` is 0: polled by a shared loop, or asleep until restart wakes it. */
  idle: "shared" | "sleep" | null;
  /** Why run time holds the route to the registry's loop limits (`minLoops 5000 > 50`); null when within them. */
  clamped: string | null;
  minLoops: number | null;
  maxLoops: number | null;
  batchSize: number | null;
  concurrency: number | null;
  visible: number | null;
  inFlight: number | null;
  dlq: { name: string; visible: number | null } | null;
  alarms: { name: string; state: string }[];
}

function sharedLoopOf(shared: QueueStatus["shared"]): ConsoleSharedLoop | null {
  if (shared === null) return null;
  const loop = shared.loop;
  return {
    group: shared.group,
    members: shared.members,
    loop: loop && {
      loopId: loop.loopId,
      heartbeatAgeMs: loop.lastUsed === null ? null : loop.heartbeatAgeMs,
    },
  };
}

/** `GET /console/api/state`. */
export interface ConsoleState {
  stage: string;
  target: string;
  cliFlags: string;
  at: number;
  periodSec: number;
  queues: ConsoleQueue[];
}

/** The queues, their routes and states, and their alarms; records loop counts for the plots. */
export async function readState(deps: ConsoleDeps, history: LoopHistory): Promise<ConsoleState> {
  const report = await describeQueues(deps.status);
  const at = deps.status.clock.now();
  // A DLQ shows with its queue, not as a queue of its own.
  const dlqNames = new Set(report.queues.flatMap((q) => (q.dlq ? [q.dlq.name] : [])));
  const queues = report.queues
    .filter((q) => !dlqNames.has(q.name))
    .map((q): ConsoleQueue => {
      history.record(q.name, at, q.loops.length);
      const route = q.route;
      return {
        name: q.name,
        state: q.state,
        blockedReasons: blockedReasonsOf(q),
        functionName: route?.functionName ?? null,
        externalFunction: q.function?.external
          ? { arn: q.function.arn ?? q.function.ref, reservedConcurrency: q.function.reservedConcurrency }
          : null,
        loops: q.loops.length,
        shared: sharedLoopOf(q.shared),
        clamped: q.clamped,
        idle: route?.idle ?? null,
        minLoops: route?.minLoops ?? null,
        maxLoops: route?.maxLoops ?? null,
        batchSize: route?.batchSize ?? null,
        concurrency: route?.concurrency ?? null,
        visible: q.visible,
        inFlight: q.inFlight,
        dlq: q.dlq ? { name: q.dlq.name, visible: q.dlq.visible } : null,
        alarms: q.alarms,
      };
    });
  return {
    stage: deps.stage,
    target: deps.target,
    cliFlags: deps.cliFlags,
    at,
    periodSec: deps.periodSec,
    queues,
  };
}

/** Series of one queue, as `[epoch ms, value]` columns the page hands to uPlot. */
export type ConsoleSeries = Record<string, { t: number[]; v: number[] }>;

/** `GET /console/api/metrics`: epoch-ms window, period, and every queue's series by queue name. */
export interface ConsoleMetrics {
  from: number;
  to: number;
  periodSec: number;
  queues: Record<string, ConsoleSeries>;
}

/** `GET /console/api/metrics?minutes=15`: every queue's series, one GetMetricData read. */
export async function readMetrics(
  deps: ConsoleDeps,
  history: LoopHistory,
  queues: readonly { name: string; dlq: { name: string } | null }[],
  minutes: number,
): Promise<ConsoleMetrics> {
  const to = deps.status.clock.now();
  const from = to - minutes * 60_000;
  const queries = queues.flatMap((q, index) =>
    queueSeriesQueries({ index, queueName: q.name, dlqName: q.dlq?.name }, deps.stage, deps.periodSec),
  );
  const read = await deps.metrics.read(queries, from, to + deps.periodSec * 1000);
  const perSecond = (values: number[]) => values.map((v) => v / deps.periodSec);
  const out: Record<string, ConsoleSeries> = {};
  queues.forEach((q, index) => {
    const series: ConsoleSeries = {};
    for (const name of Object.values(QueueSeries)) {
      const s = read.get(`${name}_${index}`);
      if (!s) continue;
      // Counts per period become rates, so a plot reads the same whatever the period.
      const rate = name === QueueSeries.Succeeded || name === QueueSeries.Failed;
      series[name] = { t: s.timestamps, v: rate ? perSecond(s.values) : s.values };
    }
    const loops = history.since(q.name, from);
    series["loops"] = { t: loops.timestamps, v: loops.values };
    out[q.name] = series;
  });
  return { from, to, periodSec: deps.periodSec, queues: out };
}

async function routeOf(deps: ConsoleDeps, queue: string) {
  const route = await deps.routes.get(queue);
  if (!route) throw new ConsoleRequestError(404, `no route for queue '${queue}'`);
  return route;
}

/** Pauses or resumes a route, as `dispatcher routes set <queue> --paused|--no-paused` does. */
export async function setPaused(
  deps: ConsoleDeps,
  queue: string,
  paused: boolean,
): Promise<{ paused: boolean }> {
  const route = await routeOf(deps, queue);
  await deps.routes.put(parseRoute({ ...route, paused, source: "edit", updatedAt: deps.status.clock.now() }));
  return { paused };
}

/** `POST /console/api/routes/<queue>/scale`: dedicated loops before and after, and loops that failed to start. */
export interface ConsoleScaleResult {
  before: number;
  after: number;
  startFailed: number;
}

/** Sets the loop count within the route's bounds, as `dispatcher scale <queue> --loops N` does. */
export async function scaleTo(deps: ConsoleDeps, queue: string, loops: number): Promise<ConsoleScaleResult> {
  // Within the registry's loop limits, as restart and scale-up hold the route to them.
  const route = await limitedRoute(deps.status.routes, await routeOf(deps, queue), deps.status.limits);
  if (!Number.isInteger(loops) || loops < route.minLoops || loops > route.maxLoops) {
    throw new ConsoleRequestError(
      400,
      `loops must be a whole number within ${route.minLoops}-${route.maxLoops}${route.clamped ? ` (${route.clamped})` : ""}`,
    );
  }
  const before = dedicatedTokens(await deps.leases.listByQueue(route.queueUrl)).length;
  let startFailed = 0;
  if (loops > before) {
    const result = await addLoops(
      { leases: deps.leases, starter: deps.starter, clock: systemClock },
      route.queueUrl,
      loops - before,
    );
    startFailed = result.startFailed.length;
  } else if (loops < before) {
    await removeLoops({ leases: deps.leases }, route.queueUrl, before - loops, { floor: loops });
  }
  const after = dedicatedTokens(await deps.leases.listByQueue(route.queueUrl)).length;
  return { before, after, startFailed };
}

/** `GET /console/api/dlq/<queue>/peek`: the DLQ's name and the dead letters shown. */
export interface ConsolePeek {
  dlq: string;
  messages: PeekedMessage[];
}

/** Up to `count` dead letters of the queue's DLQ, made visible again at once. */
export async function peekDeadLetters(deps: ConsoleDeps, queue: string, count: number): Promise<ConsolePeek> {
  const dlq = await deps.deadLetters.resolve(queue);
  return { dlq: dlq.name, messages: await deps.deadLetters.peek(dlq, count) };
}

/** `POST /console/api/dlq/<queue>/redrive`: the DLQ's name and the move task's handle. */
export interface ConsoleRedrive {
  dlq: string;
  taskHandle: string;
}

/** Starts a redrive of the queue's DLQ back to its source(s). */
export async function startRedrive(deps: ConsoleDeps, queue: string): Promise<ConsoleRedrive> {
  const dlq = await deps.deadLetters.resolve(queue);
  return { dlq: dlq.name, taskHandle: await deps.deadLetters.startRedrive(dlq, {}) };
}

/** `GET /console/api/dlq/<queue>/tasks`: the DLQ's name and its recent move tasks, newest first. */
export interface ConsoleRedriveTasks {
  dlq: string;
  tasks: MoveTask[];
}

/** The DLQ's recent move tasks, newest first. */
export async function redriveTasks(deps: ConsoleDeps, queue: string): Promise<ConsoleRedriveTasks> {
  const dlq = await deps.deadLetters.resolve(queue);
  return { dlq: dlq.name, tasks: await deps.deadLetters.tasks(dlq, 5) };
}
