import { isSharedQuietRoute, type LoopLimitValues, type Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { DispatcherError } from "../errors.js";
import { withLoopCountLock } from "../lease/loopCountLock.js";
import { addLoops, removeLoops } from "../lease/loops.js";
import type { LeaseStore, LoopStarter } from "../lease/ports.js";
import { dedicatedTokens } from "../lease/sharedGroup.js";
import type { Logger } from "../logger.js";
import { limitedRoute } from "../routing/limitedRoute.js";
import type { RouteStore } from "../routing/ports.js";
import {
  type AlarmNotification,
  AlarmState,
  type AlarmSubject,
  alarmNotificationSchema,
  alarmSubjectOf,
  transitionKey,
} from "./alarmNotification.js";
import type { AlarmDirectory, DescribedAlarm, QueueScalingLock, ScalingEventLog } from "./ports.js";
import { queueIdentityOf } from "./queueIdentity.js";
import { snsEventSchema } from "./snsEvent.js";

/** What the scale-up and scale-down use cases need; the handlers build these once per cold start. */
export interface ScaleDeps {
  routes: Pick<RouteStore, "get" | "list">;
  /** The registry's loop limits: scale-up adds loops only within the route clamped to them (`limitRoutes`). */
  limits?: LoopLimitValues;
  leases: Pick<LeaseStore, "create" | "listByQueue" | "delete">;
  starter: LoopStarter;
  events: ScalingEventLog;
  /** Serialises this queue's scale-ups and scale-downs (see {@link QueueScalingLock}). */
  lock: QueueScalingLock;
  /**
   * The exact name of a route tier's alarm in this stage (`tierAlarmName` of the registry's app and
   * this stage): a notification about any other alarm is not ours, whoever published it.
   */
  alarmNameOf: (queueName: string, tier: number) => string;
  /** CloudWatch's view of an alarm: every notification is checked against it before anything scales. */
  alarms: AlarmDirectory;
  /**
   * The ARN of the topic this function is subscribed to: a record that names another topic was not
   * delivered by this stage's subscription (a direct invoke with a crafted event).
   */
  topicArn: string;
  clock: Pick<Clock, "now" | "sleep">;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** The region this function runs in: a queue URL whose host names no region is taken to be here. */
  region: string;
  /** [0, 1); picks the token scale-down deletes (default Math.random). */
  random?: () => number;
  /** Token ids and loopIds for new loops (default random UUIDs). */
  ids?: () => string;
  /** How long a taken queue lock lasts (default 60 s: a scale function's timeout, so it outlives its holder). */
  lockTtlMs?: number;
  /** How long to wait for another scaling of the same queue before failing for a retry (default 20 s). */
  lockWaitMs?: number;
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

/**
 * The most records one event may carry: SNS delivers one per invocation, so an event with more
 * was not SNS's and is ignored whole.
 */
export const MAX_RECORDS_PER_EVENT = 10;

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
  if (parsed.data.Records.length > MAX_RECORDS_PER_EVENT) {
    const reason = `forged: ${parsed.data.Records.length} records in one event (SNS delivers one; at most ${MAX_RECORDS_PER_EVENT} are read)`;
    deps.logger.warn(`scale-${direction} event ignored`, { direction, reason });
    return [{ outcome: ScaleOutcome.Ignored, reason, changed: 0 }];
  }
  const results: ScaleRecordResult[] = [];
  const failures: unknown[] = [];
  // Records are independent: one bad or failing record never keeps the others from scaling.
  for (const [index, record] of parsed.data.Records.entries()) {
    const result = await handleRecord(deps, record.Sns, direction).catch((error: unknown) => {
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
  sns: { Message: string; TopicArn?: string | undefined },
  direction: Direction,
): Promise<ScaleRecordResult> {
  // Only CloudWatch may scale (the topic policy on AWS), and only this stage's alarms: anything else is forged.
  if (sns.TopicArn !== deps.topicArn) {
    return ignored(
      `forged: delivered from topic '${sns.TopicArn ?? "(none)"}', not this stage's scale-${direction} topic`,
    );
  }
  const notification = parseNotification(sns.Message);
  if (typeof notification === "string") return ignored(notification);
  const subject = alarmSubjectOf(notification);
  const base = { alarmName: subject.alarmName };
  if (!subject.alarmArn.endsWith(`:alarm:${subject.alarmName}`)) {
    return ignored(`forged: AlarmArn '${subject.alarmArn}' does not name alarm '${subject.alarmName}'`, base);
  }

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
  const tierNames = route.alarms.map((_, i) => deps.alarmNameOf(subject.queueName, i + 1));
  if (!tierNames.includes(subject.alarmName)) {
    return ignored(
      `forged: alarm '${subject.alarmName}' is not a tier alarm of queue '${subject.queueName}' in this stage (${tierNames.length === 0 ? "the route has no tiers" : tierNames.join(", ")})`,
      { ...base, queueUrl: route.queueUrl },
    );
  }
  if (route.scaling.mode === "depth") {
    return ignored("route scales by queue depth, not by alarm", { ...base, queueUrl: route.queueUrl });
  }
  if (direction === Direction.Up && route.paused) {
    return ignored("route is paused", { ...base, queueUrl: route.queueUrl });
  }

  const alarm = await deps.alarms.describe(subject.alarmName);
  const unverified = unverifiedAlarm(alarm, subject, notification.NewStateValue);
  if (unverified !== undefined || alarm === undefined) {
    return ignored(`forged: ${unverified ?? "no such alarm"}`, { ...base, queueUrl: route.queueUrl });
  }

  // Keyed by CloudWatch's own transition time: replays of one transition with made-up times scale once.
  const key = transitionKey({
    ...notification,
    StateChangeTime:
      alarm.transitionedAt !== undefined
        ? new Date(alarm.transitionedAt).toISOString()
        : notification.StateChangeTime,
  });
  if (!(await deps.events.claim(key, deps.clock.now()))) {
    return { outcome: ScaleOutcome.Duplicate, changed: 0, ...base, queueUrl: route.queueUrl };
  }
  try {
    // Under the queue's lock, as restart's reconcile: each change counts the tokens the previous one left.
    const changed = await withLoopCountLock(
      { ...deps, ...(deps.ids && { owner: deps.ids }) },
      route.queueUrl,
      { ttlMs: deps.lockTtlMs ?? 60_000, waitMs: deps.lockWaitMs ?? 20_000 },
      () => (direction === Direction.Up ? addForAlarm(deps, route) : removeForOk(deps, route)),
    );
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

/**
 * Why CloudWatch's alarm does not bear the notification out (undefined when it does): it must
 * exist under that name and ARN, be in the state the notification reports now, and watch the
 * queue the notification names.
 */
function unverifiedAlarm(
  alarm: DescribedAlarm | undefined,
  subject: AlarmSubject,
  claimedState: string,
): string | undefined {
  if (alarm === undefined) return `alarm '${subject.alarmName}' does not exist`;
  if (alarm.arn !== subject.alarmArn) {
    return `alarm '${subject.alarmName}' is ${alarm.arn}, not ${subject.alarmArn}`;
  }
  if (alarm.state !== claimedState) {
    return `alarm '${subject.alarmName}' is in ${alarm.state}, not ${claimedState}`;
  }
  const watched = alarm.dimensions.filter((d) => d.name === "QueueName").map((d) => d.value);
  if (alarm.namespace !== "AWS/SQS" || watched.length !== 1 || watched[0] !== subject.queueName) {
    return `alarm '${subject.alarmName}' does not watch queue '${subject.queueName}' (it watches ${alarm.namespace ?? "?"} ${watched.join(", ") || "no queue"})`;
  }
  return undefined;
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

async function addForAlarm(deps: ScaleDeps, stored: Route): Promise<number> {
  // A stored route over the loop limits is held to them, not obeyed.
  const route = await limitedRoute(deps.routes, stored, deps.limits);
  if (route.clamped !== undefined) {
    deps.logger.warn(`scale-up: route over the loop limits, scaled as ${route.clamped}`, {
      queueUrl: route.queueUrl,
      maxLoops: route.maxLoops,
    });
  }
  const current = dedicatedTokens(await deps.leases.listByQueue(route.queueUrl)).length;
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
    // A shared-quiet route keeps being polled by its shared loop: its dedicated loops may all go.
    { floor: isSharedQuietRoute(route) ? 0 : Math.max(1, route.minLoops) },
  );
  return removed.length;
}

function ignored(reason: string, extra: Partial<ScaleRecordResult> = {}): ScaleRecordResult {
  return { outcome: ScaleOutcome.Ignored, reason, changed: 0, ...extra };
}
