import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Clock, timerSleep } from "../clock.js";
import { silentLogger } from "../logger.js";
import type { EntryFailures, QueueMessage } from "../queue/ports.js";
import { createVisibilityExtender } from "./extendVisibility.js";

const clock: Clock = { now: () => Date.now(), monotonic: () => Date.now(), sleep: timerSleep };
const url = "https://sqs.us-east-1.amazonaws.com/1/q";

function message(id: string): QueueMessage {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: "",
    md5OfBody: "",
    attributes: {},
    messageAttributes: {},
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("createVisibilityExtender", () => {
  it("retries the entries SQS failed on its side and stops extending a message whose receipt handle was refused", async () => {
    const calls: string[][] = [];
    const warnings: string[] = [];
    const queue = {
      visibilityTimeoutSec: async () => 10,
      async changeVisibility(_url: string, handles: readonly string[]): Promise<EntryFailures> {
        calls.push([...handles]);
        return {
          retryable: calls.length === 1 ? handles.filter((h) => h === "rh-b") : [],
          rejected: handles.filter((h) => h === "rh-c"),
        };
      },
    };
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const extend = createVisibilityExtender({ queue, clock, logger, cache: new Map() });
    const done = extend(url, [message("a"), message("b"), message("c")], () => clock.sleep(12_000));
    await vi.runAllTimersAsync();
    await done;
    // First tick: all three, then b again; second tick: c is gone for good.
    expect(calls[0]).toEqual(["rh-a", "rh-b", "rh-c"]);
    expect(calls[1]).toEqual(["rh-b"]);
    expect(calls[2]).toEqual(["rh-a", "rh-b"]);
    expect(warnings.some((w) => w.includes("receipt handle"))).toBe(true);
  });
});
