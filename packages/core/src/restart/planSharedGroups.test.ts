import { describe, expect, it } from "vitest";
import { planSharedGroups, type SharedGroupsSeen } from "./planSharedGroups.js";

const none: SharedGroupsSeen = { members: new Map(), groups: new Map() };
const seenOf = (groups: Record<string, string[]>): SharedGroupsSeen => ({
  members: new Map(Object.entries(groups).flatMap(([g, urls]) => urls.map((u) => [u, g] as const))),
  groups: new Map(Object.entries(groups)),
});

describe("planSharedGroups", () => {
  it("packs new quiet routes into as few groups as the capacity allows", () => {
    const plan = planSharedGroups(["a", "b", "c", "d", "e"], none, 2, true);
    expect(plan.create).toEqual([
      { group: "g-0", members: ["a", "b"] },
      { group: "g-1", members: ["c", "d"] },
      { group: "g-2", members: ["e"] },
    ]);
    expect(plan.join).toHaveLength(5);
    expect(plan.leave).toEqual([]);
  });

  it("changes nothing when the groups already match the quiet routes", () => {
    const plan = planSharedGroups(["a", "b", "c"], seenOf({ "g-0": ["a", "b"], "g-1": ["c"] }), 2, true);
    expect(plan).toEqual({ leave: [], join: [], create: [], update: [], end: [] });
  });

  it("moves no existing member when a route is added or removed", () => {
    const seen = seenOf({ "g-0": ["a", "b"], "g-1": ["c", "d"] });
    const plan = planSharedGroups(["a", "c", "d", "x"], seen, 2, true);
    expect(plan.leave).toEqual([{ queueUrl: "b", group: "g-0" }]);
    // The freed place in g-0 takes the new route; c and d stay where they are.
    expect(plan.join).toEqual([{ queueUrl: "x", group: "g-0" }]);
    expect(plan.update).toEqual([{ group: "g-0", add: ["x"], remove: ["b"] }]);
    expect(plan.create).toEqual([]);
  });

  it("ends a group whose members all left", () => {
    const plan = planSharedGroups(["a"], seenOf({ "g-0": ["a"], "g-1": ["c"] }), 2, true);
    expect(plan.leave).toEqual([{ queueUrl: "c", group: "g-1" }]);
    expect(plan.update).toEqual([{ group: "g-1", add: [], remove: ["c"] }]);
    expect(plan.end).toEqual(["g-1"]);
  });

  it("removes nobody while the route list is incomplete", () => {
    const plan = planSharedGroups(["x"], seenOf({ "g-0": ["a"] }), 2, false);
    expect(plan.leave).toEqual([]);
    expect(plan.join).toEqual([{ queueUrl: "x", group: "g-0" }]);
  });

  it("gives away only the excess of a group above a lowered capacity", () => {
    const plan = planSharedGroups(["a", "b", "c"], seenOf({ "g-0": ["a", "b", "c"] }), 2, true);
    expect(plan.leave).toEqual([{ queueUrl: "c", group: "g-0" }]);
    expect(plan.join).toEqual([{ queueUrl: "c", group: "g-1" }]);
    expect(plan.create).toEqual([{ group: "g-1", members: ["c"] }]);
  });

  it("recreates the lease row of a group whose members still name it, and repairs a set that drifted", () => {
    const seen: SharedGroupsSeen = {
      members: new Map([
        ["a", "g-0"],
        ["b", "g-1"],
      ]),
      groups: new Map([["g-1", ["b", "stray"]]]),
    };
    const plan = planSharedGroups(["a", "b"], seen, 5, true);
    expect(plan.create).toEqual([{ group: "g-0", members: ["a"] }]);
    expect(plan.update).toEqual([{ group: "g-1", add: [], remove: ["stray"] }]);
  });
});
