import { describe, expect, it } from "vitest";
import { pollerClientTimeouts } from "./pollerClientTimeouts.js";

describe("pollerClientTimeouts", () => {
  it("gives the handler client time for a cold-started invoke of the longest handler (timeout + 10 s init)", () => {
    const { handlerLambda } = pollerClientTimeouts({ waitTimeSec: 20, maxHandlerTimeoutSec: 60 });
    expect(handlerLambda).toBeGreaterThan((60 + 10) * 1000);
  });

  it("lets an SQS long poll finish before its request times out", () => {
    expect(pollerClientTimeouts({ waitTimeSec: 20, maxHandlerTimeoutSec: 60 }).sqs).toBeGreaterThan(20_000);
  });
});
