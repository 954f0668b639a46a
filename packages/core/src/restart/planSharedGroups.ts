/** What restart saw of the shared groups: member rows and lease rows. */
export interface SharedGroupsSeen {
  /** Member rows: queue URL → the group it names. */
  members: ReadonlyMap<string, string>;
  /** Lease rows: group → the member set it holds. */
  groups: ReadonlyMap<string, readonly string[]>;
}

/** A member row to write or delete. */
export interface Membership {
  queueUrl: string;
  group: string;
}

/** The changes that bring the groups to the quiet routes, in the order restart applies them. */
export interface SharedGroupsPlan {
  /** Member rows to delete (their route is no longer shared-quiet, or their group is over capacity). */
  leave: Membership[];
  /** Member rows to write: routes that had no group. */
  join: Membership[];
  /** Groups that get members and have no lease row: create it and start their loop. */
  create: { group: string; members: string[] }[];
  /** Existing lease rows whose member set differs from the member rows: what to add and remove. */
  update: { group: string; add: string[]; remove: string[] }[];
  /** Lease rows of groups left without a member: delete them (their loop ends as revoked). */
  end: string[];
}

const groupNumber = (group: string): number => {
  const n = Number(group.slice(2));
  return group.startsWith("g-") && Number.isInteger(n) ? n : Number.POSITIVE_INFINITY;
};
const byGroupNumber = (a: string, b: string) => groupNumber(a) - groupNumber(b) || a.localeCompare(b);

/**
 * Assigns the shared-quiet routes to groups of at most `perLoop`, moving as few as possible: a
 * member stays in its group while its route stays quiet; a new quiet route joins the lowest-numbered
 * group with room (so groups stay packed and their count minimal), or a new group `g-<n>` with the
 * smallest free number; a removed or busy-for-good route leaves. Only a group above `perLoop` (the
 * setting was lowered) gives members away: its last ones in URL order. Deterministic, so two
 * restarts that saw the same rows plan the same writes and the conditional writes let one of each land.
 *
 * `removalsAllowed` is false while some stored routes do not parse: a quiet route among them must
 * not lose its group, so nothing leaves (joins still happen).
 *
 * @example
 * planSharedGroups(["q1", "q2", "q3"], { members: new Map([["q1", "g-0"]]), groups: new Map([["g-0", ["q1"]]]) }, 2, true);
 * // join q2 → g-0, q3 → g-1; create g-1; update g-0 add q2
 */
export function planSharedGroups(
  quiet: readonly string[],
  seen: SharedGroupsSeen,
  perLoop: number,
  removalsAllowed: boolean,
): SharedGroupsPlan {
  const plan: SharedGroupsPlan = { leave: [], join: [], create: [], update: [], end: [] };
  const wanted = new Set(quiet);
  const final = new Map<string, string[]>();
  const add = (group: string, url: string) => {
    const list = final.get(group) ?? [];
    list.push(url);
    final.set(group, list);
  };

  for (const [url, group] of [...seen.members].sort(([a], [b]) => a.localeCompare(b))) {
    if (wanted.has(url) || !removalsAllowed) add(group, url);
    else plan.leave.push({ queueUrl: url, group });
  }
  const overflow: string[] = [];
  for (const [group, urls] of final) {
    if (urls.length <= perLoop) continue;
    for (const url of urls.splice(perLoop)) {
      plan.leave.push({ queueUrl: url, group });
      overflow.push(url);
    }
  }

  const inUse = new Set([...final.keys(), ...seen.groups.keys()]);
  const unassigned = [...quiet.filter((url) => !seen.members.has(url)), ...overflow].sort();
  for (const url of unassigned) {
    const open = [...final.keys()].sort(byGroupNumber).find((g) => (final.get(g)?.length ?? 0) < perLoop);
    let group = open;
    if (group === undefined) {
      let n = 0;
      while (inUse.has(`g-${n}`)) n++;
      group = `g-${n}`;
      inUse.add(group);
    }
    add(group, url);
    plan.join.push({ queueUrl: url, group });
  }

  for (const group of [...new Set([...final.keys(), ...seen.groups.keys()])].sort(byGroupNumber)) {
    const members = [...(final.get(group) ?? [])].sort();
    const held = seen.groups.get(group);
    if (held === undefined) {
      if (members.length > 0) plan.create.push({ group, members });
      continue;
    }
    const heldSet = new Set(held);
    const memberSet = new Set(members);
    const toAdd = members.filter((u) => !heldSet.has(u));
    const toRemove = held.filter((u) => !memberSet.has(u));
    if (toAdd.length > 0 || toRemove.length > 0) plan.update.push({ group, add: toAdd, remove: toRemove });
    if (members.length === 0) plan.end.push(group);
  }
  return plan;
}
