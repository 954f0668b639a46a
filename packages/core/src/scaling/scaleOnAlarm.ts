import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { DispatcherError } from "../errors.js";
import { addLoops, removeLoops } from "../lease/loops.js";
import type { LeaseStore } from "../lease/ports.js";
import type { Logger } from "../logger.js";
import type { LoopStarter } from "../poller/ports.js";
import type { RouteStore } from "../routing/ports.js";
import {
  type AlarmNotification,
  AlarmState,
  type AlarmSubject,
  alarmNotificationSchema,
  alarmSubjectOf,
  transitionKey,
} from "./alarmNotification.js";
import type { ScalingEventLog } from "./ports.js";
import { queueIdentityOf } from "./queueIdentity.js";
import { snsEventSchema } from "./snsEvent.js";

/** What the scale-up and scale-down use cases need; the handlers build these once per cold start. */
export interface ScaleDeps {
  routes: Pick<RouteStore, "get">;
  leases: Pick<LeaseStore, "create" | "listByQueue" | "delete">;
  starter: LoopStarter;
  events: ScalingEventLog;
  clock: Pick<Clock, "now">;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** The region this function runs in: a queue URL whose host names no region is taken to be here. */
  region: string;
  /** [0, 1); picks the token scale-down deletes (default Math.random). */
  random?: () => number;
  /** Token ids and loopIds for new loops (default random UUIDs). */
  ids?: () => string;
}

/** What happened to one SNS record. */
export const ScaleOutcome = {
  /** Loops were added or removed. */
  Scaled: "scaled",
  /** Valid and meant for us, but the count is already at its bound. */
  AtBound: "at-bound",
  /** The same transition was already acted on. */
  Duplicate: "duplicate",
  /** Not for this function (wrong transition, unknown queue, other account/region, malformed): logged, no change. */
  Ignored: "ignored",
  /** Scaling failed; the transition was released so a retried delivery can act on it. */
  Failed: "failed",
} as const;
export type ScaleOutcome = (typeof ScaleOutcome)[keyof typeof ScaleOutcome];

export interface ScaleRecordResult {
  outcome: ScaleOutcome;
  reason?: string;
  alarmName?: string;
  queueUrl?: string;
  /** Loops added (scale-up) or removed (scale-down). */
  changed: number;
}

/** Some records of an SNS event could not be scaled; thrown so Lambda retries the (deduplicated) event. */
export class ScalingFailedError extends DispatcherError {
  override readonly name = "ScalingFailedError";
}

const Direction = { Up: "up", Down: "down" } as const;
type Direction = (typeof Direction)[keyof typeof Direction];

/**
 * Scale-up: for every record of the SNS event that reports a transition into `ALARM`
 * for a routed queue of this account and region, adds `scaleStep` loops (never beyond
 * `maxLoops`) and starts them. A transition delivered twice scales once.
 *
 * @throws ScalingFailedError after handling every record, when one failed for a reason worth retrying.
 */
export function scaleUp(deps: ScaleDeps, event: unknown): Promise<ScaleRecordResult[]> {
  return scaleOnAlarm(deps, event, Direction.Up);
}

/**
 * Scale-down: for every record that reports `ALARM → OK`, deletes one randomly chosen
 * token of the queue while more than `max(1, minLoops)` remain (its loop ends at its
 * next heartbeat). Every other transition changes nothing.
 *
 * @throws ScalingFailedError after handling every record, when one failed for a reason worth retrying.
 */
export function scaleDown(deps: ScaleDeps, event: unknown): Promise<ScaleRecordResult[]> {
  return scaleOnAlarm(deps, event, Direction.Down);
}

async function scaleOnAlarm(
  deps: ScaleDeps,
  event: unknown,
  direction: Direction,
): Promise<ScaleRecordResult[]> {
  const parsed = snsEventSchema.safeParse(event);
  if (!parsed.success) {
    deps.logger.error("not an SNS event; ignored", { direction, issues: parsed.error.issues });
    return [{ outcome: ScaleOutcome.Ignored, reason: "not an SNS event", changed: 0 }];
  }
  const results: ScaleRecordResult[] = [];
  const failures: unknown[] = [];
  // Records are independent: one bad or failing record never keeps the others from scaling.
  for (const [index, record] of parsed.data.Records.entries()) {
    const result = await handleRecord(deps, record.Sns.Message, direction).catch((error: unknown) => {
      failures.push(error);
      return { outcome: ScaleOutcome.Failed, reason: String(error), changed: 0 } satisfies ScaleRecordResult;
    });
    const log =
      result.outcome === ScaleOutcome.Ignored || result.outcome === ScaleOutcome.Failed ? "warn" : "info";
    deps.logger[log](`scale-${direction} record ${result.outcome}`, {
      direction,
      record: index,
      messageId: record.Sns.MessageId,
      ...result,
    });
    results.push(result);
  }
  if (failures.length > 0) {
    throw new ScalingFailedError(
      `${failures.length} of ${results.length} alarm notifications could not be scaled`,
      { direction },
      { cause: failures.length === 1 ? failures[0] : new AggregateError(failures) },
    );
  }
  return results;
}

async function handleRecord(
  deps: ScaleDeps,
  message: string,
  direction: Direction,
): Promise<ScaleRecordResult> {
  const notification = parseNotification(message);
  if (typeof notification === "string") return ignored(notification);
  const subject = alarmSubjectOf(notification);
  const base = { alarmName: subject.alarmName };

  const wanted =
    direction === Direction.Up
      ? notification.NewStateValue === AlarmState.Alarm
      : notification.OldStateValue === AlarmState.Alarm && notification.NewStateValue === AlarmState.Ok;
  if (!wanted) {
    return ignored(
      `${notification.OldStateValue} → ${notification.NewStateValue} is not a scale-${direction} transition`,
      base,
    );
  }

  const route = await deps.routes.get(subject.queueName);
  if (!route) return ignored(`no route for queue '${subject.queueName}'`, base);
  const mismatch = locationMismatch(route, subject, deps.region);
  if (mismatch) return ignored(mismatch, { ...base, queueUrl: route.queueUrl });
  if (route.scaling.mode === "depth") {
    return ignored("route scales by queue depth, not by alarm", { ...base, queueUrl: route.queueUrl });
  }
  if (direction === Direction.Up && route.paused) {
    return ignored("route is paused", { ...base, queueUrl: route.queueUrl });
  }

  const key = transitionKey(notification);
  if (!(await deps.events.claim(key, deps.clock.now()))) {
    return { outcome: ScaleOutcome.Duplicate, changed: 0, ...base, queueUrl: route.queueUrl };
  }
  try {
    const changed =
      direction === Direction.Up ? await addForAlarm(deps, route) : await removeForOk(deps, route);
    return {
      outcome: changed > 0 ? ScaleOutcome.Scaled : ScaleOutcome.AtBound,
      changed,
      ...base,
      queueUrl: route.queueUrl,
    };
  } catch (error) {
    // Un-remember the transition so Lambda's retry of this event can still act on it.
    await deps.events
      .release(key)
      .catch((releaseError: unknown) =>
        deps.logger.error("could not release a failed scaling event", { key, error: String(releaseError) }),
      );
    throw error;
  }
}

function parseNotification(message: string): AlarmNotification | string {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return "SNS message is not JSON";
  }
  const result = alarmNotificationSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    return `not a CloudWatch alarm notification (${issues})`;
  }
  return result.data;
}

function locationMismatch(route: Route, subject: AlarmSubject, ownRegion: string): string | undefined {
  const queue = queueIdentityOf(route.queueUrl);
  if (!queue) return `route's queue URL '${route.queueUrl}' is not an SQS queue URL`;
  if (queue.accountId !== subject.accountId) {
    return `alarm is from account ${subject.accountId}, queue '${subject.queueName}' is in ${queue.accountId}`;
  }
  const queueRegion = queue.region ?? ownRegion;
  if (queueRegion !== subject.region) {
    return `alarm is from region ${subject.region}, queue '${subject.queueName}' is in ${queueRegion}`;
  }
  return undefined;
}

async function addForAlarm(deps: ScaleDeps, route: Route): Promise<number> {
  const current = (await deps.leases.listByQueue(route.queueUrl)).length;
  const count = Math.min(route.scaleStep, route.maxLoops - current);
  if (count <= 0) return 0;
  const result = await addLoops(
    { leases: deps.leases, starter: deps.starter, clock: deps.clock, ...(deps.ids && { ids: deps.ids }) },
    route.queueUrl,
    count,
  );
  for (const failed of result.startFailed) {
    // The token exists; restart claims and starts it after its start grace.
    deps.logger.warn("token created but its loop did not start; restart will start it", {
      queueUrl: failed.event.queueUrl,
      token: failed.event.token,
      loopId: failed.event.loopId,
      error: String(failed.error),
    });
  }
  return result.started.length + result.startFailed.length;
}

async function removeForOk(deps: ScaleDeps, route: Route): Promise<number> {
  const removed = await removeLoops(
    { leases: deps.leases, ...(deps.random && { random: deps.random }) },
    route.queueUrl,
    1,
    { floor: Math.max(1, route.minLoops) },
  );
  return removed.length;
}

function ignored(reason: string, extra: Partial<ScaleRecordResult> = {}): ScaleRecordResult {
  return { outcome: ScaleOutcome.Ignored, reason, changed: 0, ...extra };
}
