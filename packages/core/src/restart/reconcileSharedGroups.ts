import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { GroupStore, LoopStarter } from "../lease/ports.js";
import { groupOfLeaseRow, isGroupLeaseRow, isMemberRow, type SharedLoopEvent } from "../lease/sharedGroup.js";
import type { TokenRecord } from "../lease/token.js";
import { type Membership, planSharedGroups } from "./planSharedGroups.js";

export interface SharedGroupsDeps {
  groups: GroupStore;
  starter: LoopStarter<SharedLoopEvent>;
  clock: Pick<Clock, "now">;
  ids?: () => string;
}

/** What one reconcile of the shared groups did. */
export interface SharedGroupsReport {
  /** Shared loops started for new groups (restart's claim starts those of stale groups). */
  started: SharedLoopEvent[];
  joined: Membership[];
  left: Membership[];
  /** Groups whose lease row was deleted: their loop ends at its next renewal. */
  ended: string[];
  /** Writes that failed; the next run plans them again. */
  errors: { step: string; group: string; queueUrl?: string; error: unknown }[];
}

/** The member and lease rows of a scan, as {@link planSharedGroups} reads them. */
export function sharedGroupsSeen(rows: readonly TokenRecord[]) {
  const members = new Map<string, string>();
  const groups = new Map<string, string[]>();
  for (const row of rows) {
    if (isGroupLeaseRow(row)) groups.set(groupOfLeaseRow(row), row.members ?? []);
    else if (isMemberRow(row) && row.group !== undefined) members.set(row.queueUrl, row.group);
  }
  return { members, groups };
}

/**
 * Brings the shared groups to the shared-quiet routes (`planSharedGroups`), in an order that keeps
 * every queue in a group's member set backed by its member row without transactions: a leaving
 * member goes from the set before its row is deleted, a joining one gets its row before it is added
 * to the set. A write that fails leaves a state the next run's plan repairs.
 */
export async function reconcileSharedGroups(
  deps: SharedGroupsDeps,
  quiet: readonly string[],
  rows: readonly TokenRecord[],
  perLoop: number,
  removalsAllowed: boolean,
): Promise<SharedGroupsReport> {
  const ids = deps.ids ?? randomUUID;
  const report: SharedGroupsReport = { started: [], joined: [], left: [], ended: [], errors: [] };
  const plan = planSharedGroups(quiet, sharedGroupsSeen(rows), perLoop, removalsAllowed);
  const attempt = async (
    step: string,
    where: { group: string; queueUrl?: string },
    work: () => Promise<void>,
  ) => {
    try {
      await work();
    } catch (error) {
      report.errors.push({ step, ...where, error });
    }
  };

  const leavingBySet = new Map<string, string[]>();
  for (const { group, remove } of plan.update) leavingBySet.set(group, remove);
  // 1. Leaving members: out of the set first, then the row.
  for (const [group, remove] of leavingBySet) {
    if (remove.length === 0) continue;
    await attempt("remove from group", { group }, async () => {
      await deps.groups.updateMembers(group, [], remove);
    });
  }
  for (const m of plan.leave) {
    await attempt("remove member row", m, async () => {
      if (await deps.groups.removeMember(m.queueUrl, m.group)) report.left.push(m);
    });
  }
  // 2. Joining members: the row first (a queue with a row elsewhere stays there), then the set.
  const joined = new Set<string>();
  for (const m of plan.join) {
    await attempt("write member row", m, async () => {
      if (await deps.groups.addMember(m.queueUrl, m.group, deps.clock.now())) {
        joined.add(m.queueUrl);
        report.joined.push(m);
      }
    });
  }
  const joiningOnly = (urls: readonly string[]) =>
    urls.filter((u) => joined.has(u) || !plan.join.some((j) => j.queueUrl === u));
  for (const { group, add } of plan.update) {
    const members = joiningOnly(add);
    if (members.length === 0) continue;
    await attempt("add to group", { group }, async () => {
      await deps.groups.updateMembers(group, members, []);
    });
  }
  // 3. New groups: the lease row with its members, then its loop.
  for (const { group, members } of plan.create) {
    const backed = joiningOnly(members);
    if (backed.length === 0) continue;
    await attempt("start shared loop", { group }, async () => {
      const event: SharedLoopEvent = { group, loopId: ids() };
      if (await deps.groups.createGroup(group, event.loopId, backed, deps.clock.now())) {
        // A failed start leaves a lease row that never heartbeat: restart claims it after the start grace.
        await deps.starter.start(event);
        report.started.push(event);
      } else {
        await deps.groups.updateMembers(group, backed, []);
      }
    });
  }
  // 4. Empty groups: the conditional delete keeps a group that gained a member meanwhile.
  for (const group of plan.end) {
    await attempt("end shared loop", { group }, async () => {
      if (await deps.groups.deleteEmptyGroup(group)) report.ended.push(group);
    });
  }
  return report;
}
