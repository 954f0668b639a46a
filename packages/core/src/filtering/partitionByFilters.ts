import type { FilterPattern } from "@sqs-dispatcher/config";
import { sqsEventMessageAttributes } from "../dispatch/sqsEvent.js";
import type { QueueMessage } from "../queue/ports.js";
import { type FilterableRecord, matchesAnyPattern } from "./matchPattern.js";

/** Messages split by a route's filters. Order within each side is the receive order. */
export interface FilterPartition {
  /** Messages that match at least one pattern (all of them when the route has no filters). */
  matched: QueueMessage[];
  /** Messages that match none: the route's `onNoMatch` decides what becomes of them. */
  unmatched: QueueMessage[];
}

function parsedBody(body: string): unknown {
  // Only a JSON object is matched field by field, as Lambda does; anything else is the plain string.
  const first = body.trimStart()[0];
  if (first !== "{") return body;
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : body;
  } catch {
    return body;
  }
}

/**
 * The record a filter looks at, shaped as Lambda's SQS record: the body (parsed when it is a JSON
 * object), the system attributes, and the message attributes with their list fields always present.
 */
export function filterableRecordOf(message: QueueMessage): FilterableRecord {
  return {
    body: parsedBody(message.body),
    attributes: message.attributes,
    messageAttributes: sqsEventMessageAttributes(message.messageAttributes),
  };
}

/**
 * Splits a received batch by a route's filters (Lambda `FilterCriteria` patterns, ORed). The
 * poller calls it after each receive and before the invoke: `matched` goes to the handler,
 * `unmatched` to {@link handleUnmatched}. No filters (undefined or empty): everything matches.
 *
 * @example
 * const { matched, unmatched } = partitionByFilters(messages, route.filters);
 */
export function partitionByFilters(
  messages: readonly QueueMessage[],
  filters: readonly FilterPattern[] | undefined,
): FilterPartition {
  if (filters === undefined || filters.length === 0) return { matched: [...messages], unmatched: [] };
  const partition: FilterPartition = { matched: [], unmatched: [] };
  for (const message of messages) {
    (matchesAnyPattern(filters, filterableRecordOf(message)) ? partition.matched : partition.unmatched).push(
      message,
    );
  }
  return partition;
}
