import type { MoveTaskQueues } from "./messageMoveTasks.js";

/*
 * AWS remembers which queue a dead-lettered message came from, so a redrive without a destination
 * sends each message home. fauxqs 1.9.2 does not: its receive moves a message past maxReceiveCount
 * with `dlq.enqueue(msg)` and forgets the source. This wraps `dequeue` on each queue our SqsStore
 * creates so that the DLQ handed to fauxqs's redrive records the source queue's ARN by messageId;
 * nothing else about the receive changes.
 */

interface StoreQueue {
  name: string;
  url: string;
  arn: string;
  attributes: Record<string, string | undefined>;
  enqueue(message: { messageId: string }): void;
  dequeue(max: number, visibility?: number, dlqResolver?: (arn: string) => StoreQueue | undefined): unknown;
}

interface Store {
  createQueue(...args: unknown[]): StoreQueue;
  getQueueByArn(arn: string): StoreQueue | undefined;
  getQueue(url: string): StoreQueue | undefined;
  listQueues(): StoreQueue[];
}

/** Recorded sources beyond this are forgotten oldest first (messages deleted from a DLQ never say so). */
const maxRecorded = 100_000;

/**
 * Makes `store` (fauxqs 1.9.2's SqsStore) remember the source queue of each message it
 * dead-letters, and returns the queue view message move tasks use; `undefined`, changing nothing,
 * if the store does not look like the one this was written for.
 */
export function trackDeadLetterSources(store: object): MoveTaskQueues | undefined {
  const candidate = store as Partial<Store>;
  if (
    typeof candidate.createQueue !== "function" ||
    typeof candidate.getQueueByArn !== "function" ||
    typeof candidate.getQueue !== "function" ||
    typeof candidate.listQueues !== "function"
  )
    return undefined;
  const typed = candidate as Store;
  const sources = new Map<string, string>();
  const createQueue = typed.createQueue.bind(store);
  typed.createQueue = (...args: unknown[]) => {
    const queue = createQueue(...args);
    if (typeof queue.dequeue !== "function") return queue;
    const dequeue = queue.dequeue.bind(queue);
    queue.dequeue = (max, visibility, dlqResolver) =>
      dequeue(
        max,
        visibility,
        dlqResolver &&
          ((arn: string) => {
            const dlq = dlqResolver(arn);
            if (!dlq) return dlq;
            const recording = Object.create(dlq) as StoreQueue;
            recording.enqueue = (message) => {
              sources.set(message.messageId, queue.arn);
              if (sources.size > maxRecorded) {
                const oldest = sources.keys().next().value;
                if (oldest !== undefined) sources.delete(oldest);
              }
              dlq.enqueue(message);
            };
            return recording;
          }),
      );
    return queue;
  };

  const deadLetterTarget = (queue: StoreQueue): string | undefined => {
    const policy = queue.attributes.RedrivePolicy;
    if (!policy) return undefined;
    try {
      return (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
    } catch {
      return undefined;
    }
  };

  return {
    byArn(arn) {
      const queue = typed.getQueueByArn(arn);
      return queue && { url: queue.url, arn: queue.arn, name: queue.name };
    },
    byUrl(url) {
      const queue = typed.getQueue(url);
      return queue && { url: queue.url, arn: queue.arn, name: queue.name };
    },
    sourcesOf(dlqArn) {
      return typed
        .listQueues()
        .filter((q) => deadLetterTarget(q) === dlqArn)
        .map((q) => q.arn);
    },
    deadLetterSourceOf: (messageId) => sources.get(messageId),
    forget: (messageId) => void sources.delete(messageId),
  };
}
