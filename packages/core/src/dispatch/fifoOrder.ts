import type { QueueMessage } from "../queue/ports.js";

/**
 * Keeps FIFO order within each message group: once a record of a group failed,
 * every later record of that group in the batch counts as failed too (it is not
 * deleted and returns to the queue behind the failed one), even if its handler
 * reported success. Returns the widened set of failed messageIds.
 */
export function holdBackAfterGroupFailure(
  messages: readonly QueueMessage[],
  failed: ReadonlySet<string>,
): Set<string> {
  const result = new Set(failed);
  const brokenGroups = new Set<string>();
  for (const m of messages) {
    const group = m.attributes["MessageGroupId"];
    if (group === undefined) continue;
    if (brokenGroups.has(group)) result.add(m.messageId);
    else if (result.has(m.messageId)) brokenGroups.add(group);
  }
  return result;
}

/** Whether a queue URL names a FIFO queue. */
export function isFifoQueue(queueUrl: string): boolean {
  return queueUrl.replace(/\/+$/, "").endsWith(".fifo");
}
