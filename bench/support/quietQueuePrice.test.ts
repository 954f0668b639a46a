import { describe, expect, it } from "vitest";
import { Pricing } from "./pricing.js";
import { priceQuietQueueMonth } from "./quietQueuePrice.js";

const idle = {
  routes: 50,
  pollerGbSeconds: 0,
  restartGbSeconds: 0,
  lambdaInvocations: 0,
  sqsRequests: 0,
  dynamoWrites: 0,
  dynamoReads: 0,
};

describe("priceQuietQueueMonth", () => {
  it("divides one shared 512 MB invocation running all month by its 50 members", () => {
    // 0.5 GB × 3,600 s = 1,800 GB-s an hour: docs/deploy.md's $17.28 loop-month, over 50 queues.
    const month = priceQuietQueueMonth({ ...idle, pollerGbSeconds: 1800 });
    expect(month.lambdaCompute).toBeCloseTo((1800 * 720 * Pricing.lambdaPerGbSecond) / 50, 10);
    expect(month.lambdaCompute).toBeCloseTo(0.3456, 3);
    expect(month.total).toBe(month.lambdaCompute);
  });

  it("prices every member's empty long polls, the group's renewals and reads, and restart's time", () => {
    // 50 members × 180 receives an hour (20 s waits); 60 renewals an hour; 360 member-set reads.
    const month = priceQuietQueueMonth({
      ...idle,
      restartGbSeconds: 10,
      lambdaInvocations: 120,
      sqsRequests: 9000,
      dynamoWrites: 60,
      dynamoReads: 360,
    });
    expect(month.sqs).toBeCloseTo((9000 * 720 * 0.4) / 1e6 / 50, 10);
    expect(month.dynamodb).toBeCloseTo(((60 * 0.625 + 360 * 0.125) * 720) / 1e6 / 50, 10);
    expect(month.lambdaRequests).toBeCloseTo((120 * 720 * 0.2) / 1e6 / 50, 10);
    expect(month.lambdaCompute).toBeCloseTo((10 * 720 * Pricing.lambdaPerGbSecond) / 50, 10);
    expect(month.total).toBeCloseTo(
      month.sqs + month.dynamodb + month.lambdaRequests + month.lambdaCompute,
      12,
    );
  });
});
