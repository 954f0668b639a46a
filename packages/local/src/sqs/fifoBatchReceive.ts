import { randomUUID } from "node:crypto";

/*
 * Emulator gap closed here: fauxqs 1.9.2's FIFO receive (`SqsQueue.dequeueFifo`) takes at most ONE
 * message per message group per ReceiveMessage (it `break`s after the first). AWS SQS returns several
 * consecutive messages of one group in one receive — it fills the batch from the same group first
 * when it can, then from other unlocked groups — and serves a group again only once none of its
 * messages is in flight. The poller's FIFO rule (later records of a failed group are held back,
 * core/dispatch/fifoOrder.ts) only matters when a batch holds several messages of a group, so
 * without this patch the local cloud could never exercise it.
 *
 * The patch replaces three methods on each queue instance our SqsStore creates (fauxqs's classes
 * and every other user of them are untouched):
 * - `dequeueFifo`: fauxqs's own selection, minus the `break`: up to MaxNumberOfMessages (≤ 10)
 *   consecutive messages of a group, group by group, each one adding to the group's lock count as
 *   fauxqs already counts it; receive counts, first-receive timestamps, redrive to the DLQ after
 *   maxReceiveCount and the attributes receiveMessage adds are fauxqs's, unchanged.
 * - `processTimers` (FIFO branch) and `changeVisibility(…, 0)`: fauxqs puts a message whose
 *   visibility ends back with `unshift`, which is right for a group's only in-flight message but
 *   reverses a group's batch when several expire in one sweep. They are put back by SequenceNumber
 *   instead, so a returned batch comes back in the order it was sent. Everything else (delayed
 *   messages, waking long polls, lock counts) is fauxqs's code path, repeated as is.
 */

/** A message as fauxqs's SqsStore keeps it (the fields this patch reads or writes). */
interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, unknown>;
  md5OfMessageAttributes?: string;
  approximateReceiveCount: number;
  approximateFirstReceiveTimestamp?: number;
  messageGroupId?: string;
  sequenceNumber?: string;
  delayUntil?: number;
}

interface InflightEntry {
  message: StoredMessage;
  receiptHandle: string;
  visibilityDeadline: number;
}

/** What fauxqs's receiveMessage action reads from `dequeue`'s result. */
interface DequeuedMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, unknown>;
}

/** fauxqs 1.9.2's `SqsQueue`, as far as this patch relies on it. */
interface FauxqsQueue {
  name: string;
  attributes: Record<string, string | undefined>;
  inflightMessages: Map<string, InflightEntry>;
  fifoMessages: Map<string, StoredMessage[]>;
  fifoDelayed: Map<string, StoredMessage[]>;
  fifoLockedGroups: Map<string, number>;
  spy?: { addMessage(event: object): void };
  isFifo(): boolean;
  enqueue(message: StoredMessage): void;
  notifyWaiters(): void;
  hasAvailableFifoMessages(): boolean;
  dequeueFifo(
    maxCount: number,
    visibilityTimeoutOverride?: number,
    dlqResolver?: (arn: string) => FauxqsQueue | undefined,
  ): DequeuedMessage[];
  processTimers(): void;
  changeVisibility(receiptHandle: string, timeoutSeconds: number): void;
}

/** fauxqs 1.9.2's `SqsStore`, as far as this patch relies on it. */
interface FauxqsStore {
  createQueue(...args: unknown[]): FauxqsQueue;
}

/** fauxqs files a FIFO message sent without a group under this key. */
const defaultGroup = "__default";
const queueMethods = ["dequeueFifo", "processTimers", "changeVisibility", "notifyWaiters"] as const;

/**
 * Makes every FIFO queue that `store` (fauxqs 1.9.2's SqsStore) creates from now on return several
 * messages of one group per receive, as AWS SQS does. Returns `false`, changing nothing, if the
 * store does not look like the one this patch was written for.
 */
export function patchFifoBatchReceive(store: object): boolean {
  const candidate = store as Partial<FauxqsStore>;
  if (typeof candidate.createQueue !== "function") return false;
  const createQueue = candidate.createQueue.bind(store);
  candidate.createQueue = (...args: unknown[]) => {
    const queue = createQueue(...args);
    if (queueMethods.every((name) => typeof queue[name] === "function") && queue.fifoMessages) {
      patchQueue(queue);
    }
    return queue;
  };
  return true;
}

function patchQueue(queue: FauxqsQueue): void {
  const processTimers = queue.processTimers.bind(queue);
  const changeVisibility = queue.changeVisibility.bind(queue);

  queue.dequeueFifo = (maxCount, visibilityTimeoutOverride, dlqResolver) => {
    queue.processTimers();
    const visibilityTimeout =
      visibilityTimeoutOverride ?? Number.parseInt(queue.attributes.VisibilityTimeout ?? "30", 10);
    const { maxReceiveCount, dlqArn } = redrivePolicyOf(queue);
    const result: DequeuedMessage[] = [];
    const count = Math.min(maxCount, 10);
    for (const [groupId, groupMessages] of queue.fifoMessages) {
      if (result.length >= count) break;
      if (queue.fifoLockedGroups.has(groupId) || groupMessages.length === 0) continue;
      while (result.length < count && groupMessages.length > 0) {
        const message = groupMessages.shift() as StoredMessage;
        message.approximateReceiveCount++;
        message.approximateFirstReceiveTimestamp ??= Date.now();
        if (dlqArn && dlqResolver && message.approximateReceiveCount > maxReceiveCount) {
          const dlq = dlqResolver(dlqArn);
          if (dlq) {
            queue.spy?.addMessage({
              service: "sqs",
              queueName: queue.name,
              messageId: message.messageId,
              body: message.body,
              messageAttributes: message.messageAttributes,
              status: "dlq",
              timestamp: Date.now(),
            });
            dlq.enqueue(message);
            continue;
          }
        }
        const receiptHandle = randomUUID();
        queue.inflightMessages.set(receiptHandle, {
          message,
          receiptHandle,
          visibilityDeadline: Date.now() + visibilityTimeout * 1000,
        });
        const received: DequeuedMessage = {
          MessageId: message.messageId,
          ReceiptHandle: receiptHandle,
          MD5OfBody: message.md5OfBody,
          Body: message.body,
        };
        if (message.md5OfMessageAttributes) received.MD5OfMessageAttributes = message.md5OfMessageAttributes;
        if (Object.keys(message.messageAttributes).length > 0)
          received.MessageAttributes = message.messageAttributes;
        result.push(received);
        // One lock per message in flight: the group is served again once all of them are deleted or visible.
        queue.fifoLockedGroups.set(groupId, (queue.fifoLockedGroups.get(groupId) ?? 0) + 1);
      }
      if (groupMessages.length === 0) queue.fifoMessages.delete(groupId);
    }
    return result;
  };

  queue.processTimers = () => {
    if (!queue.isFifo()) {
      processTimers();
      return;
    }
    const now = Date.now();
    for (const [handle, entry] of queue.inflightMessages) {
      if (entry.visibilityDeadline <= now) {
        queue.inflightMessages.delete(handle);
        returnToGroup(queue, entry.message);
      }
    }
    for (const [groupId, delayed] of queue.fifoDelayed) {
      const stillDelayed: StoredMessage[] = [];
      for (const message of delayed) {
        if (message.delayUntil && message.delayUntil > now) stillDelayed.push(message);
        else {
          const group = queue.fifoMessages.get(groupId) ?? [];
          group.push(message);
          queue.fifoMessages.set(groupId, group);
        }
      }
      if (stillDelayed.length === 0) queue.fifoDelayed.delete(groupId);
      else queue.fifoDelayed.set(groupId, stillDelayed);
    }
    if (queue.hasAvailableFifoMessages()) queue.notifyWaiters();
  };

  queue.changeVisibility = (receiptHandle, timeoutSeconds) => {
    const entry = queue.inflightMessages.get(receiptHandle);
    if (!entry || timeoutSeconds !== 0 || !queue.isFifo()) {
      changeVisibility(receiptHandle, timeoutSeconds);
      return;
    }
    queue.inflightMessages.delete(receiptHandle);
    returnToGroup(queue, entry.message);
    queue.notifyWaiters();
  };
}

/** Releases a message's group lock and puts it back among its group's waiting messages, in sequence order. */
function returnToGroup(queue: FauxqsQueue, message: StoredMessage): void {
  const groupId = message.messageGroupId ?? defaultGroup;
  const locks = (queue.fifoLockedGroups.get(groupId) ?? 1) - 1;
  if (locks <= 0) queue.fifoLockedGroups.delete(groupId);
  else queue.fifoLockedGroups.set(groupId, locks);
  const group = queue.fifoMessages.get(groupId) ?? [];
  const at = group.findIndex((waiting) => comesBefore(message, waiting));
  group.splice(at === -1 ? group.length : at, 0, message);
  queue.fifoMessages.set(groupId, group);
}

/** Whether `a` was sent before `b`; `true` when either has no SequenceNumber (fauxqs's front-of-group default). */
function comesBefore(a: StoredMessage, b: StoredMessage): boolean {
  if (a.sequenceNumber === undefined || b.sequenceNumber === undefined) return true;
  return BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber);
}

function redrivePolicyOf(queue: FauxqsQueue): { maxReceiveCount: number; dlqArn?: string } {
  const policy = queue.attributes.RedrivePolicy;
  if (!policy) return { maxReceiveCount: Number.POSITIVE_INFINITY };
  try {
    const parsed = JSON.parse(policy) as { maxReceiveCount?: number | string; deadLetterTargetArn?: string };
    return {
      maxReceiveCount:
        parsed.maxReceiveCount === undefined ? Number.POSITIVE_INFINITY : Number(parsed.maxReceiveCount),
      dlqArn: parsed.deadLetterTargetArn,
    };
  } catch {
    return { maxReceiveCount: Number.POSITIVE_INFINITY };
  }
}
