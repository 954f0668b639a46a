import type { Logger } from "@sqs-dispatcher/core";
import { AlarmState } from "@sqs-dispatcher/core";
import { alarmNotificationMessage, alarmNotificationSubject } from "./alarmNotificationMessage.js";
import type { AlarmStore, AlarmTransition } from "./alarmStore.js";
import { aggregate, type Datapoint, evaluateAlarm } from "./evaluateAlarm.js";
import type { MetricAlarm } from "./metricAlarm.js";
import { isSupportedSqsMetric, type QueueMetricsSource, SqsMetric } from "./queueMetrics.js";

/** Publishes one message to an SNS topic (through the SDK against the local cloud). */
export type PublishToTopic = (topicArn: string, subject: string, message: string) => Promise<void>;

export interface AlarmEvaluatorOptions {
  store: AlarmStore;
  metrics: QueueMetricsSource;
  publish: PublishToTopic;
  accountId: string;
  region: string;
  /**
   * Local length of AWS's one-minute metric resolution, in ms. SQS publishes its metrics once a
   * minute; locally a "minute" lasts `metricIntervalMs` (default 3 s: time runs 20× faster), so an
   * alarm's Period of P seconds spans `max(1, round(P / 60))` local minutes.
   */
  metricIntervalMs: number;
  now: () => number;
  /**
   * Receives every queue's sample of each local minute (the `AWS/SQS` metrics CloudWatch stores
   * for every queue, alarmed or not): `ApproximateNumberOfMessagesVisible` and `...NotVisible`
   * of every queue, plus what alarms ask for.
   */
  onSample?: (queueName: string, values: Partial<Record<SqsMetric, number>>, at: number) => void;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
}

export interface AlarmEvaluator {
  /** One local minute: sample the metrics, close the periods that end now, evaluate, notify. */
  tick(): Promise<void>;
  /** Runs the alarm actions of a state change (SetAlarmState's too). */
  notify(transition: AlarmTransition): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

interface AlarmRuntime {
  /** Configuration stamp: a PutMetricAlarm that changes the alarm starts its history afresh. */
  configuredAt: number;
  ticks: number;
  samples: number[];
  window: Datapoint[];
}

/** The namespace and dimension whose metrics the evaluator computes. */
function sqsQueueOf(alarm: MetricAlarm): { queueName: string; metric: SqsMetric } | undefined {
  if (alarm.Namespace !== "AWS/SQS" || !isSupportedSqsMetric(alarm.MetricName)) return undefined;
  if (alarm.Dimensions.length !== 1) return undefined;
  const [dimension] = alarm.Dimensions;
  if (dimension?.Name !== "QueueName") return undefined;
  return { queueName: dimension.Value, metric: alarm.MetricName };
}

/**
 * Evaluates every alarm once per local period and publishes AWS's alarm notification to the
 * action topics of the new state. Alarms on metrics it does not compute (other namespaces,
 * other SQS metrics) get no data, exactly like an alarm on a metric nobody publishes.
 */
export function createAlarmEvaluator(options: AlarmEvaluatorOptions): AlarmEvaluator {
  const { store, metrics, logger } = options;
  const runtimes = new Map<string, AlarmRuntime>();
  /** The metrics sampled on the last tick: what CloudWatch has received by now. */
  let published = new Map<string, Partial<Record<SqsMetric, number>> | undefined>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const notify = async (transition: AlarmTransition): Promise<void> => {
    const { alarm, oldState } = transition;
    logger.info("alarm state changed", {
      alarmName: alarm.AlarmName,
      oldState,
      newState: alarm.StateValue,
      reason: alarm.StateReason,
    });
    if (!alarm.ActionsEnabled) return;
    const actions =
      alarm.StateValue === AlarmState.Alarm
        ? alarm.AlarmActions
        : alarm.StateValue === AlarmState.Ok
          ? alarm.OKActions
          : alarm.InsufficientDataActions;
    const message = JSON.stringify(
      alarmNotificationMessage(alarm, oldState, options.accountId, options.region),
    );
    const subject = alarmNotificationSubject(alarm, options.region);
    await Promise.all(
      actions.map(async (action) => {
        if (!/^arn:aws[\w-]*:sns:/.test(action)) {
          logger.warn("alarm action is not an SNS topic; the local cloud only runs SNS actions", {
            alarmName: alarm.AlarmName,
            action,
          });
          return;
        }
        try {
          await options.publish(action, subject, message);
        } catch (error) {
          logger.error("could not publish alarm notification", {
            alarmName: alarm.AlarmName,
            topicArn: action,
            error: String(error),
          });
        }
      }),
    );
  };

  const tick = async (): Promise<void> => {
    const alarms = store.list();
    const live = new Set(alarms.map((a) => a.AlarmName));
    for (const name of runtimes.keys()) if (!live.has(name)) runtimes.delete(name);

    // One sample per queue per local minute, however many alarms watch it.
    const wanted = new Map<string, Set<SqsMetric>>();
    for (const alarm of alarms) {
      const target = sqsQueueOf(alarm);
      if (!target) continue;
      const set = wanted.get(target.queueName) ?? new Set<SqsMetric>();
      set.add(target.metric);
      wanted.set(target.queueName, set);
    }
    if (options.onSample && metrics.queueNames) {
      try {
        for (const queueName of await metrics.queueNames()) {
          const set = wanted.get(queueName) ?? new Set<SqsMetric>();
          set.add(SqsMetric.Visible).add(SqsMetric.NotVisible);
          wanted.set(queueName, set);
        }
      } catch (error) {
        logger.warn("could not list queues; only alarmed queues have metrics this minute", {
          error: String(error),
        });
      }
    }
    const fresh = new Map<string, Partial<Record<SqsMetric, number>> | undefined>();
    await Promise.all(
      [...wanted].map(async ([queueName, set]) => {
        try {
          fresh.set(queueName, await metrics.sample(queueName, set));
        } catch (error) {
          logger.warn("could not read queue metrics; this minute has no data", {
            queueName,
            error: String(error),
          });
        }
      }),
    );

    // SQS pushes its metrics to CloudWatch once a minute, so an alarm sees the minute that just
    // ended, not the queue as it is now: evaluate on the previous tick's sample.
    const samples = published;
    published = fresh;

    const now = options.now();
    if (options.onSample) {
      for (const [queueName, values] of fresh) if (values) options.onSample(queueName, values, now);
    }
    const transitions: AlarmTransition[] = [];
    for (const alarm of alarms) {
      let rt = runtimes.get(alarm.AlarmName);
      if (!rt || rt.configuredAt !== alarm.AlarmConfigurationUpdatedTimestamp) {
        rt = { configuredAt: alarm.AlarmConfigurationUpdatedTimestamp, ticks: 0, samples: [], window: [] };
        runtimes.set(alarm.AlarmName, rt);
      }
      const target = sqsQueueOf(alarm);
      const value = target ? samples.get(target.queueName)?.[target.metric] : undefined;
      if (value !== undefined) rt.samples.push(value);
      rt.ticks += 1;
      const periodTicks = Math.max(1, Math.round(alarm.Period / 60));
      if (rt.ticks % periodTicks !== 0) continue;

      rt.window.push({ timestamp: now, value: aggregate(rt.samples, alarm.Statistic) });
      rt.samples = [];
      if (rt.window.length > alarm.EvaluationPeriods)
        rt.window.splice(0, rt.window.length - alarm.EvaluationPeriods);
      const evaluation = evaluateAlarm(alarm, rt.window);
      if (!evaluation || evaluation.state === alarm.StateValue) continue;
      const transition = store.transition(
        alarm.AlarmName,
        evaluation.state,
        evaluation.reason,
        evaluation.reasonData,
      );
      if (transition) transitions.push(transition);
    }
    await Promise.all(transitions.map(notify));
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((error: unknown) => logger.error("alarm evaluation failed", { error: String(error) }))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, options.metricIntervalMs);
    timer.unref();
  };

  return {
    tick,
    notify,
    start() {
      stopped = false;
      if (!timer) schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
