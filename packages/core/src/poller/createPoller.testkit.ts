import type { Route } from "@sqs-dispatcher/config";
import { afterEach, beforeEach, vi } from "vitest";
import { type Clock, timerSleep } from "../clock.js";
import type { FunctionInvoker, InvokeResult } from "../dispatch/ports.js";
import type { SqsEvent } from "../dispatch/sqsEvent.js";
import { HandlerNotRunError, type NotRunReason } from "../errors.js";
import { FakeLeaseStore } from "../lease/fakeLeaseStore.testkit.js";
import type { LoopEvent } from "../lease/token.js";
import { silentLogger } from "../logger.js";
import type { EntryFailures } from "../queue/ports.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import { createPoller, type PollerSettings } from "./createPoller.js";
import type { LoopStarter, QueueClient, QueueMessage, ReceiveOptions } from "./ports.js";

export const queueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
export const fifoUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo";
export const event: LoopEvent = { queueUrl, token: "t1", loopId: "loop-1" };
export const settings: PollerSettings = { waitTimeSec: 1, marginSec: 1, maxHandlerTimeoutSec: 5 };
export const budgetMs = (1 + 5 + 1) * 1000;

export const clock: Clock = {
  now: () => Date.now(),
  monotonic: () => Date.now(),
  sleep: timerSleep,
};

export function message(id: string, groupId?: string): QueueMessage {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify({ id }),
    md5OfBody: "md5",
    attributes: { ApproximateReceiveCount: "1", ...(groupId ? { MessageGroupId: groupId } : {}) },
    messageAttributes: {},
  };
}

/** An in-memory queue: hands out its messages once, long-polls (on fake timers) when empty. */
export class FakeQueue implements QueueClient {
  pending: QueueMessage[] = [];
  receives: { at: number; options: ReceiveOptions }[] = [];
  deleted: string[] = [];
  deleteCalls: string[][] = [];
  visibilityCalls: { at: number; handles: string[]; sec: number }[] = [];
  failDeletesOnce = new Set<string>();
  receiveError: Error | undefined;
  visibilitySec = 30;

  async receive(_url: string, options: ReceiveOptions): Promise<QueueMessage[]> {
    this.receives.push({ at: Date.now(), options });
    if (this.receiveError) {
      const error = this.receiveError;
      this.receiveError = undefined;
      throw error;
    }
    if (this.pending.length === 0) {
      await clock.sleep(options.waitTimeSec * 1000);
      return [];
    }
    return this.pending.splice(0, options.maxMessages);
  }

  async deleteBatch(_url: string, handles: readonly string[]): Promise<EntryFailures> {
    this.deleteCalls.push([...handles]);
    const failed = handles.filter((h) => this.failDeletesOnce.delete(h));
    this.deleted.push(...handles.filter((h) => !failed.includes(h)));
    return { retryable: failed, rejected: [] };
  }

  async changeVisibility(_url: string, handles: readonly string[], sec: number): Promise<EntryFailures> {
    this.visibilityCalls.push({ at: Date.now(), handles: [...handles], sec });
    return { retryable: [], rejected: [] };
  }

  async visibilityTimeoutSec(): Promise<number> {
    return this.visibilitySec;
  }
}

export class FakeInvoker implements FunctionInvoker {
  events: { functionName: string; event: SqsEvent }[] = [];
  respond: (event: SqsEvent) => Promise<InvokeResult> | InvokeResult = () => ({ payload: null });
  probes: string[] = [];
  probe: (functionName: string) => Promise<void> = async (functionName) =>
    void this.probes.push(functionName);
  async invoke(functionName: string, payloadJson: string): Promise<InvokeResult> {
    const event = JSON.parse(payloadJson) as SqsEvent;
    this.events.push({ functionName, event });
    return this.respond(event);
  }
}

export function route(overrides: Partial<Route> = {}): Route {
  return {
    queueName: "orders",
    queueUrl,
    functionName: "record",
    batchSize: 10,
    batchWindowSec: 0,
    concurrency: 1,
    minLoops: 1,
    maxLoops: 1,
    scaleStep: 1,
    alarms: [],
    scaling: { mode: "alarm" },
    paused: false,
    idle: "shared",
    source: "deploy",
    updatedAt: 0,
    ...overrides,
  };
}

export function notRun(reason: NotRunReason): HandlerNotRunError {
  return new HandlerNotRunError("record", reason, `refused: ${reason}`);
}

export function throttling(): Error {
  return Object.assign(new Error("Rate of requests exceeds the allowed throughput"), {
    name: "ProvisionedThroughputExceededException",
  });
}

export interface Harness {
  leases: FakeLeaseStore;
  queue: FakeQueue;
  invoker: FakeInvoker;
  started: LoopEvent[];
  routeOf: { current: Route | undefined };
  /** The poller's settings for the next run (a copy of the defaults). */
  settings: PollerSettings;
  /** Error lines the poller logged. */
  errors: string[];
  /** When set, every route read fails with it. */
  routeError?: Error;
  run: (
    invocationMs?: number,
    loop?: LoopEvent,
  ) => Promise<{ outcome: Awaited<ReturnType<ReturnType<typeof createPoller>["run"]>>; deadline: number }>;
}

export function harness(): Harness {
  const leases = new FakeLeaseStore();
  leases.put({ ...event, createdAt: Date.now() });
  const queue = new FakeQueue();
  const invoker = new FakeInvoker();
  const started: LoopEvent[] = [];
  const starter: LoopStarter = { start: async (e) => void started.push(e) };
  const routeOf: { current: Route | undefined } = { current: route() };
  const routes: RouteResolver = {
    resolve: async () => {
      if (h.routeError) throw h.routeError;
      return routeOf.current;
    },
  };
  const errors: string[] = [];
  const h: Harness = {
    errors,
    leases,
    queue,
    invoker,
    started,
    routeOf,
    settings: { ...settings },
    async run(invocationMs = 30_000, loop = event) {
      const poller = createPoller({
        leases,
        routes,
        queue,
        invoker,
        starter,
        clock,
        logger: { ...silentLogger, error: (m: string) => void errors.push(m) },
        settings: h.settings,
        retry: { baseMs: 100, maxMs: 2_000, random: () => 0.5 },
      });
      const deadline = Date.now() + invocationMs;
      const promise = poller.run(loop, { remainingTimeMs: () => deadline - Date.now(), requestId: "req-1" });
      await vi.runAllTimersAsync();
      return { outcome: await promise, deadline };
    },
  };
  return h;
}

/** Runs each test of the calling file on fake timers starting at the same instant. */
export function withFakeTimers(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
