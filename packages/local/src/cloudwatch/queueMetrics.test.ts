import { describe, expect, it } from "vitest";
import { ageOfOldestMessageSec } from "./queueMetrics.js";

const now = 1_000_000;

describe("ApproximateAgeOfOldestMessage, computed as SQS does", () => {
  it("is the age of the oldest message in whole seconds, 0 for an empty queue", () => {
    expect(ageOfOldestMessageSec([], now, false)).toBe(0);
    expect(
      ageOfOldestMessageSec(
        [
          { sentTimestamp: now - 5_500, approximateReceiveCount: 0 },
          { sentTimestamp: now - 90_900, approximateReceiveCount: 1 },
        ],
        now,
        false,
      ),
    ).toBe(90);
  });

  it("skips a standard queue's message received three times or more, unless nothing else is left", () => {
    const poison = { sentTimestamp: now - 600_000, approximateReceiveCount: 3 };
    const fresh = { sentTimestamp: now - 10_000, approximateReceiveCount: 2 };
    expect(ageOfOldestMessageSec([poison, fresh], now, false)).toBe(10);
    expect(ageOfOldestMessageSec([poison], now, false)).toBe(600);
    // FIFO queues keep order: the oldest message is the oldest, however often it was received.
    expect(ageOfOldestMessageSec([poison, fresh], now, true)).toBe(600);
  });

  it("never goes below 0 on a clock that runs behind a send", () => {
    expect(ageOfOldestMessageSec([{ sentTimestamp: now + 2_000 }], now, false)).toBe(0);
  });
});
