import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { describeError } from "../describeError.js";
import { type BatchOutcome, dispatchBatch } from "../dispatch/dispatchBatch.js";
import type { NotRunObserver } from "../dispatch/invokeHandler.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import type { NotRunReason } from "../errors.js";
import { type MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { QueueClient, QueueMessage, Receive } from "../queue/ports.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import type { BatchSlots } from "./batchSlots.js";
import { gatherBatch } from "./gatherBatch.js";
import { createHeldBatch } from "./heldBatch.js";
import type { LoopLog } from "./loopInvocation.js";
import type { ReceiveAttempts } from "./receiveAttempts.js";

/** How a batch's gathering ended: how many messages it received, or the first receive's error. */
export type Gathered = { received: number } | { error: unknown };

/** What one lane's batches need: the queue, the handler and where their results go. */
export interface LaneBatchDeps {
  queueUrl: string;
  queueName: string;
  fifo: boolean;
  /** The receive the batch gathers with (SQS's, with the route's policies around it). */
  receive: Receive;
  queue: Pick<QueueClient, "deleteBatch" | "changeVisibility">;
  invoker: FunctionInvoker;
  clock: Clock;
  retry: BackoffPolicy;
  log: LoopLog;
  metrics: MetricsSink;
  region: string;
  waitTimeSec: number;
  payloadLimitBytes?: number;
  /** The lane's FIFO receive attempt ids. */
  attempts: ReceiveAttempts;
  slots: BatchSlots;
  /** Runs the batch's work while extending the visibility of what it holds. */
  whileExtendingVisibility: <T>(
    queueUrl: string,
    messages: readonly QueueMessage[],
    work: () => Promise<T>,
  ) => Promise<T>;
  /** Whether an invoke started `afterMs` from now could still finish before the invocation must recurse. */
  mayStartInvoke(afterMs: number): boolean;
  observer: NotRunObserver;
  /** Aborts when the batch must stop retrying a refusing handler at once (the lease was lost). */
  stop: AbortSignal;
  /** How long a batch its handler kept refusing stays invisible when handed back, seconds. */
  notRunHoldSec?(reason: NotRunReason): number;
  /** What became of each batch that reached its handler; `received` counts a batch as it is gathered. */
  onReceived(count: number): void;
  onDone(batch: BatchOutcome): void;
}

/**
 * Starts one batch of a lane: its gathering (the receive and the batching window), then its
 * dispatch in the background, each holding a handler slot of {@link BatchSlots} until the
 * handler answered. Resolves once the gathering is over, so the lane can receive again while
 * this batch is in the handler; the messages it holds stay invisible throughout.
 */
export function startLaneBatch(deps: LaneBatchDeps, route: Route): Promise<Gathered> {
  const { log, metrics, queueUrl, queueName } = deps;
  const held = createHeldBatch();
  let announce!: (r: Gathered) => void;
  const gathered = new Promise<Gathered>((resolve) => {
    announce = resolve;
  });
  let freeSlot!: () => void;
  const slot = new Promise<void>((resolve) => {
    freeSlot = resolve;
  });
  const done = deps
    .whileExtendingVisibility(queueUrl, held.messages, async () => {
      try {
        await gatherBatch(
          { queue: { receive: deps.receive }, clock: deps.clock, logger: log },
          queueUrl,
          {
            batchSize: route.batchSize,
            windowSec: route.batchWindowSec,
            waitTimeSec: deps.waitTimeSec,
            attempts: deps.attempts,
            hold: {
              whileHolding: (messages, work) => deps.whileExtendingVisibility(queueUrl, messages, work),
              mayStartInvoke: deps.mayStartInvoke,
            },
          },
          held,
        );
      } catch (error) {
        announce({ error });
        return;
      }
      const received = held.messages.length;
      announce({ received });
      if (received === 0) return;
      deps.onReceived(received);
      metrics.add(queueName, PollerMetric.MessagesReceived, received);
      metrics.add(queueName, PollerMetric.BatchesInFlight, deps.slots.inHandler());
      const batch = await dispatchBatch(
        {
          invoker: deps.invoker,
          queue: deps.queue,
          clock: deps.clock,
          retry: deps.retry,
          logger: log,
          metrics,
          region: deps.region,
          payloadLimitBytes: deps.payloadLimitBytes,
          mayStartInvoke: deps.mayStartInvoke,
          observer: deps.observer,
          stop: deps.stop,
          notRunHoldSec: deps.notRunHoldSec,
          onHandled: (deleting) => {
            held.letGoAllBut(deleting);
            freeSlot();
          },
        },
        queueUrl,
        queueName,
        route.functionName,
        [...held.messages],
        deps.fifo,
      );
      deps.onDone(batch);
    })
    .catch((error: unknown) => {
      // dispatchBatch never throws; this guards against a bug, so the loop still goes on.
      announce({ error });
      log.error("a batch failed unexpectedly; its messages return to the queue", {
        error: describeError(error),
      });
    });
  deps.slots.track(slot, done.finally(freeSlot));
  return gathered;
}
