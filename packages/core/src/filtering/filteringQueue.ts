import type { Clock } from "../clock.js";
import { deleteSucceeded } from "../dispatch/deleteSucceeded.js";
import { holdBackAfterGroupFailure, isFifoQueue } from "../dispatch/fifoOrder.js";
import type { FunctionInvoker } from "../dispatch/ports.js";
import { releaseMessages } from "../dispatch/releaseMessages.js";
import type { Logger } from "../logger.js";
import { type MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { QueueClient, QueueMessage, Receive } from "../queue/ports.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import type { RouteResolver } from "../routing/routeResolver.js";
import { handleUnmatched } from "./handleUnmatched.js";
import { partitionByFilters } from "./partitionByFilters.js";
import type { MessageForwarder } from "./ports.js";

/** How long the no-match function may keep refusing (throttled) before its messages are released. */
export const defaultNoMatchInvokeBudgetMs = 10_000;

export interface FilteringQueueDeps {
  /** Deletes what `onNoMatch` settled and makes what it held back visible again. */
  queue: QueueClient;
  /** The receive the filters apply to; default `queue.receive`. */
  receive?: Receive;
  routes: Pick<RouteResolver, "resolve">;
  forwarder: MessageForwarder;
  invoker: FunctionInvoker;
  clock: Pick<Clock, "sleep" | "monotonic">;
  retry: BackoffPolicy;
  logger: Pick<Logger, "info" | "warn" | "error">;
  region: string;
  metrics?: MetricsSink;
  /** How long an `invoke:` action retries a function that refuses to run; default 10 s. */
  noMatchInvokeBudgetMs?: number;
}

/**
 * A receive that applies the queue's route filters: it receives, splits the
 * messages with {@link partitionByFilters}, applies `onNoMatch` to the ones no pattern matches
 * ({@link handleUnmatched}: forward, drop or invoke; then deletes what was settled and makes
 * what the no-match function never saw visible again) and returns only the matched ones, so the
 * poller invokes the route's handler with them alone. Routes without filters pass straight through.
 *
 * On a FIFO queue a message group with a message left in the queue (not forwarded, failed) keeps
 * its later messages back too: they are made visible again rather than handed to the handler.
 *
 * The loop's assembly puts it around the rate-limited receive (`packages/functions/src/poller.ts`).
 *
 * @example
 * const receive = createFilteredReceive({ queue: sqsQueue, receive: limited.receive, routes, forwarder, invoker, clock, retry, logger, region });
 */
export function createFilteredReceive(deps: FilteringQueueDeps): Receive {
  const { queue, clock, logger } = deps;
  const receive = deps.receive ?? ((queueUrl, options) => queue.receive(queueUrl, options));
  const budgetMs = deps.noMatchInvokeBudgetMs ?? defaultNoMatchInvokeBudgetMs;

  const release = (queueUrl: string, messages: readonly QueueMessage[]) =>
    releaseMessages(deps, queueUrl, messages, 0, "held-back messages");

  return async function filteredReceive(queueUrl, options) {
    const messages = await receive(queueUrl, options);
    if (messages.length === 0) return messages;
    const route = await deps.routes.resolve(queueUrl);
    if (!route?.filters?.length) return messages;
    const { matched, unmatched } = partitionByFilters(messages, route.filters);
    deps.metrics?.add(route.queueName, PollerMetric.MessagesMatched, matched.length);
    if (unmatched.length === 0) return matched;

    const hold = options.hold;
    const settle = async () => {
      const startedAt = clock.monotonic();
      const outcome = await handleUnmatched(
        {
          forwarder: deps.forwarder,
          invoke: {
            invoker: deps.invoker,
            clock,
            retry: deps.retry,
            logger,
            // Within the loop's invocation budget, and never longer than the no-match budget.
            mayStartInvoke: (afterMs) =>
              (hold?.mayStartInvoke(afterMs) ?? true) && clock.monotonic() - startedAt + afterMs < budgetMs,
            observer: { refused() {}, waiting() {}, ran() {} },
          },
          clock,
          retry: deps.retry,
          logger,
          region: deps.region,
          ...(deps.metrics ? { metrics: deps.metrics } : {}),
        },
        route,
        unmatched,
      );
      if (outcome.settled.length > 0) {
        await deleteSucceeded({ queue, clock, retry: deps.retry, logger }, queueUrl, outcome.settled);
      }
      return outcome;
    };
    // Every received message stays invisible while the no-match function runs: the matched ones
    // reach the batch (and its own extension) only after it.
    const outcome = hold ? await hold.whileHolding(messages, settle) : await settle();
    let held = outcome.notRun;
    let handed = matched;
    if (isFifoQueue(queueUrl)) {
      const kept = new Set([...outcome.failed, ...outcome.notRun.map((m) => m.messageId)]);
      const blocked = holdBackAfterGroupFailure(messages, kept);
      handed = matched.filter((m) => !blocked.has(m.messageId));
      held = [...held, ...matched.filter((m) => blocked.has(m.messageId))];
    }
    await release(queueUrl, held);
    return handed;
  };
}
