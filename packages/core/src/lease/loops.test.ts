import { describe, expect, it } from "vitest";
import { FakeLeaseStore } from "./fakeLeaseStore.testkit.js";
import { addLoops, removeLoops } from "./loops.js";
import type { LoopEvent } from "./token.js";

const q = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";

describe("addLoops", () => {
  it("creates tokens with fresh ids and starts one loop per token", async () => {
    const leases = new FakeLeaseStore();
    const started: LoopEvent[] = [];
    let n = 0;
    const result = await addLoops(
      {
        leases,
        starter: { start: async (e) => void started.push(e) },
        clock: { now: () => 5 },
        ids: () => `id${++n}`,
      },
      q,
      2,
    );
    expect(result.started).toEqual(started);
    expect(started).toHaveLength(2);
    const rows = await leases.listByQueue(q);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({ createdAt: 5, startedAt: 5 });
      expect(row.lastUsed).toBeUndefined();
      expect(started.find((e) => e.token === row.token)?.loopId).toBe(row.loopId);
    }
    expect(new Set(rows.map((r) => r.token)).size).toBe(2);
  });

  it("skips token ids that already exist and reports loops that failed to start", async () => {
    const leases = new FakeLeaseStore();
    leases.put({ queueUrl: q, token: "slot-0", loopId: "L", createdAt: 0 });
    const result = await addLoops(
      {
        leases,
        starter: {
          start: async () => {
            throw new Error("TooManyRequestsException");
          },
        },
        clock: { now: () => 1 },
      },
      q,
      2,
      { tokenIds: ["slot-0", "slot-1"] },
    );
    expect(result.started).toEqual([]);
    expect(result.startFailed.map((f) => f.event.token)).toEqual(["slot-1"]);
    expect(await leases.listByQueue(q)).toHaveLength(2);
  });
});

describe("removeLoops", () => {
  it("deletes randomly chosen tokens while more than the floor remain", async () => {
    const leases = new FakeLeaseStore();
    for (const token of ["a", "b", "c", "d"]) leases.put({ queueUrl: q, token, loopId: "L", createdAt: 0 });
    const deleted = await removeLoops({ leases, random: () => 0.99 }, q, 5, { floor: 2 });
    expect(deleted.map((d) => d.token)).toEqual(["d", "c"]);
    expect((await leases.listByQueue(q)).map((r) => r.token)).toEqual(["a", "b"]);
  });

  it("deletes nothing at the floor", async () => {
    const leases = new FakeLeaseStore();
    leases.put({ queueUrl: q, token: "a", loopId: "L", createdAt: 0 });
    expect(await removeLoops({ leases }, q, 1, { floor: 1 })).toEqual([]);
    expect(await leases.listByQueue(q)).toHaveLength(1);
  });
});
