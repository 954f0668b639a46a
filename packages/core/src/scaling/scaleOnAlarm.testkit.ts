import type { Route } from "@sqs-dispatcher/config";
import { routeSchema } from "@sqs-dispatcher/config";
import { FakeLeaseStore } from "../lease/fakeLeaseStore.testkit.js";
import { MemoryQueueLock } from "../lease/memoryQueueLock.testkit.js";
import type { LoopEvent } from "../lease/token.js";
import { silentLogger } from "../logger.js";
import type { AlarmDirectory, DescribedAlarm, ScalingEventLog } from "./ports.js";
import type { ScaleDeps } from "./scaleOnAlarm.js";

/*
 * The scale functions' tests' fixtures: an alarm notification and its SNS event, the event log and
 * CloudWatch's alarms in memory, and one queue's tokens, lock and routes. `resetScaleFixtures`
 * (each test file's beforeEach) makes them anew; the `let` bindings below are read live.
 */

export const account = "123456789012";
export const queueUrl = `https://sqs.us-east-1.amazonaws.com/${account}/orders`;

export function notification(
  overrides: Record<string, unknown> = {},
  queueName = "orders",
): Record<string, unknown> {
  return {
    AlarmName: "shop-prod-orders-depth-1",
    AlarmDescription: null,
    AWSAccountId: account,
    AlarmConfigurationUpdatedTimestamp: "2026-11-26T15:00:00.000+0000",
    NewStateValue: "ALARM",
    NewStateReason: "Threshold Crossed",
    StateChangeTime: "2026-11-26T15:04:05.123+0000",
    Region: "US East (N. Virginia)",
    AlarmArn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:shop-prod-orders-depth-1`,
    OldStateValue: "OK",
    OKActions: [],
    AlarmActions: [],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: "ApproximateNumberOfMessagesVisible",
      Namespace: "AWS/SQS",
      StatisticType: "Statistic",
      Statistic: "AVERAGE",
      Unit: null,
      Dimensions: [{ value: queueName, name: "QueueName" }],
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 100,
      TreatMissingData: "missing",
      EvaluateLowSampleCountPercentile: "",
    },
    ...overrides,
  };
}

export function snsEvent(...messages: (Record<string, unknown> | string)[]) {
  return {
    Records: messages.map((m, i) => ({
      EventSource: "aws:sns",
      EventVersion: "1.0",
      EventSubscriptionArn: "arn:aws:sns:us-east-1:123456789012:scale-up:abc",
      Sns: {
        Type: "Notification",
        MessageId: `m-${i}`,
        TopicArn: "arn:aws:sns:us-east-1:123456789012:scale-up",
        Subject: null,
        Message: typeof m === "string" ? m : JSON.stringify(m),
        Timestamp: "2026-11-26T15:04:05.200Z",
      },
    })),
  };
}

export class MemoryEventLog implements ScalingEventLog {
  readonly keys = new Set<string>();
  async claim(key: string): Promise<boolean> {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }
  async release(key: string): Promise<void> {
    this.keys.delete(key);
  }
}

/**
 * CloudWatch's alarms in memory: what DescribeAlarms would answer. Each `transition` is a new
 * state change with its own time, as CloudWatch records one.
 */
export class MemoryAlarms implements AlarmDirectory {
  readonly alarms = new Map<string, DescribedAlarm>();
  private clock = 0;
  lookups = 0;
  transition(name: string, state: string, queueName = name.replace(/^shop-prod-|-depth-\d+$/g, "")): void {
    this.alarms.set(name, {
      name,
      arn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:${name}`,
      state,
      namespace: "AWS/SQS",
      dimensions: [{ name: "QueueName", value: queueName }],
      transitionedAt: ++this.clock * 60_000,
    });
  }
  async describe(name: string): Promise<DescribedAlarm | undefined> {
    this.lookups++;
    return this.alarms.get(name);
  }
}

export const scaleUpTopicArn = "arn:aws:sns:us-east-1:123456789012:scale-up";
export const tierAlarm = (queue: string, tier: number) => `shop-prod-${queue}-depth-${tier}`;

export let leases: FakeLeaseStore;
export let lock: MemoryQueueLock;
export let now: number;
export let started: LoopEvent[];
export let routes: Map<string, Route>;
export let events: MemoryEventLog;
export let alarms: MemoryAlarms;
export let deps: ScaleDeps;
let idCounter = 0;

export function route(overrides: Partial<Route> = {}): Route {
  return routeSchema.parse({
    queueName: "orders",
    queueUrl,
    functionName: "record",
    minLoops: 1,
    maxLoops: 4,
    scaleStep: 2,
    alarms: [{ threshold: 100 }, { threshold: 500 }],
    ...overrides,
  });
}

export function seedTokens(n: number): void {
  for (let i = 0; i < n; i++) leases.put({ queueUrl, token: `seed-${i}`, loopId: `l-${i}`, createdAt: 0 });
}

export const count = async () => (await leases.listByQueue(queueUrl)).length;

/** Moves the fixtures' clock on by `ms`. */
export function advance(ms: number): void {
  now += ms;
}

/** The next id of the fixtures' one counter, after `prefix` (scale functions' loopIds and restart's share it). */
export function nextId(prefix: string): string {
  return `${prefix}-${++idCounter}`;
}

export function resetScaleFixtures(): void {
  leases = new FakeLeaseStore();
  started = [];
  routes = new Map([["orders", route()]]);
  events = new MemoryEventLog();
  lock = new MemoryQueueLock();
  alarms = new MemoryAlarms();
  for (const queue of ["orders", "audit"]) {
    alarms.transition(tierAlarm(queue, 1), "ALARM");
    alarms.transition(tierAlarm(queue, 2), "ALARM");
  }
  now = 1_000;
  deps = {
    routes: { get: async (name) => routes.get(name), list: async () => [...routes.values()] },
    leases,
    starter: { start: async (e) => void started.push(e) },
    events,
    lock,
    alarmNameOf: (queue, tier) => tierAlarm(queue, tier),
    alarms,
    topicArn: scaleUpTopicArn,
    clock: {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    },
    logger: silentLogger,
    region: "us-east-1",
    random: () => 0,
    ids: () => nextId("id"),
  };
}
