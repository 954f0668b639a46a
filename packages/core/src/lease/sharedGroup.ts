import type { LoopEvent, TokenKey } from "./token.js";

/**
 * Shared loops (docs/protocol.md, "Shared loops"): one loop long-polls a group of quiet routes.
 * The tokens table holds, per group, one **lease row** (the group's loopId, heartbeat, invocation
 * fence and member set) and, per member queue, one **member row** keyed by the queue's URL that
 * names the group. Renewing a group is one write, whatever its size.
 */

/** The token id of a member row: one per queue, beside the queue's dedicated tokens. */
export const SHARED_MEMBER_TOKEN = "shared";
/** The token id of a group's lease row. */
export const GROUP_LEASE_TOKEN = "lease";
/** Prefix of a lease row's partition key: never a queue URL (those start with `http`). */
export const GROUP_KEY_PREFIX = "shared-group:";

/** Group ids restart makes: `g-0`, `g-1`, … (deterministic, so concurrent restarts collide). */
export const groupIdPattern = /^g-[0-9]{1,6}$/;

/** The poller event of a shared loop: its group and its fencing loopId (members come from the table). */
export interface SharedLoopEvent {
  group: string;
  loopId: string;
}

/** What the poller function is invoked with: a dedicated loop's token or a shared loop's group. */
export type PollerEvent = LoopEvent | SharedLoopEvent;

/** Whether a poller event names a shared loop. */
export function isSharedLoopEvent(event: PollerEvent): event is SharedLoopEvent {
  return "group" in event;
}

/** The key of a group's lease row. */
export function groupLeaseKey(group: string): TokenKey {
  return { queueUrl: `${GROUP_KEY_PREFIX}${group}`, token: GROUP_LEASE_TOKEN };
}

/**
 * The group's lease as a {@link LoopEvent}: heartbeat, fence, loss reason and claim work on the
 * lease row exactly as on a dedicated token.
 */
export function groupLease(event: SharedLoopEvent): LoopEvent {
  return { ...groupLeaseKey(event.group), loopId: event.loopId };
}

/** Whether a row is a group's lease row. */
export function isGroupLeaseRow(record: TokenKey): boolean {
  return record.queueUrl.startsWith(GROUP_KEY_PREFIX);
}

/** The group a lease row belongs to. */
export function groupOfLeaseRow(record: TokenKey): string {
  return record.queueUrl.slice(GROUP_KEY_PREFIX.length);
}

/** Whether a row is a member row (a queue polled by a shared loop). */
export function isMemberRow(record: TokenKey & { group?: string }): boolean {
  return record.token === SHARED_MEMBER_TOKEN && !isGroupLeaseRow(record);
}

/** A queue's dedicated loops' tokens: its rows without the member row. */
export function dedicatedTokens<T extends TokenKey>(records: readonly T[]): T[] {
  return records.filter((r) => !isMemberRow(r) && !isGroupLeaseRow(r));
}
