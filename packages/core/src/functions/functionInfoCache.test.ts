import { describe, expect, it } from "vitest";
import { createFunctionInfoCache } from "./functionInfoCache.js";
import { FunctionInfoUnavailableError } from "./functionInfoErrors.js";
import type { FunctionDetails } from "./ports.js";

function fakeReader(answers: Array<FunctionDetails | undefined | Error>) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async read() {
      const answer = answers[Math.min(calls, answers.length - 1)];
      calls += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const info = (timeoutSec: number): FunctionDetails => ({
  arn: "arn:aws:lambda:us-east-1:123456789012:function:billing",
  timeoutSec,
  state: "Active",
});

describe("createFunctionInfoCache", () => {
  it("reuses a read within the TTL and reads again after it, so a changed timeout shows", async () => {
    let now = 0;
    const reader = fakeReader([info(5), info(30)]);
    const cache = createFunctionInfoCache({ reader, clock: { monotonic: () => now }, ttlMs: 1000 });
    expect((await cache.get("billing"))?.timeoutSec).toBe(5);
    now = 999;
    expect((await cache.get("billing"))?.timeoutSec).toBe(5);
    expect(reader.calls).toBe(1);
    now = 1000;
    expect((await cache.get("billing"))?.timeoutSec).toBe(30);
    expect(reader.calls).toBe(2);
  });

  it("does not keep a failed read: the next get tries again", async () => {
    const reader = fakeReader([
      new FunctionInfoUnavailableError("billing", "AccessDeniedException"),
      info(7),
    ]);
    const cache = createFunctionInfoCache({ reader, clock: { monotonic: () => 0 }, ttlMs: 60_000 });
    await expect(cache.get("billing")).rejects.toBeInstanceOf(FunctionInfoUnavailableError);
    expect((await cache.get("billing"))?.timeoutSec).toBe(7);
  });

  it("caches that a function does not exist for the TTL", async () => {
    const reader = fakeReader([undefined, info(3)]);
    const cache = createFunctionInfoCache({ reader, clock: { monotonic: () => 0 }, ttlMs: 60_000 });
    expect(await cache.get("gone")).toBeUndefined();
    expect(await cache.get("gone")).toBeUndefined();
    expect(reader.calls).toBe(1);
  });
});
