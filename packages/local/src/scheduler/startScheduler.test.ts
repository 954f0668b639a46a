import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startScheduler } from "./startScheduler.js";

interface SentInvoke {
  FunctionName: string;
  InvocationType: string;
  event: Record<string, unknown>;
}

function fakeLambda() {
  const sent: SentInvoke[] = [];
  return {
    sent,
    lambda: {
      send: vi.fn(
        async (command: { input: { FunctionName: string; InvocationType: string; Payload: Uint8Array } }) => {
          const { FunctionName, InvocationType, Payload } = command.input;
          sent.push({ FunctionName, InvocationType, event: JSON.parse(new TextDecoder().decode(Payload)) });
          return { StatusCode: 202 };
        },
      ),
    },
  };
}

describe("startScheduler", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("invokes the target asynchronously at once and then every interval, with an EventBridge scheduled event", async () => {
    const { lambda, sent } = fakeLambda();
    const scheduler = startScheduler({
      lambda: lambda as never,
      functionName: "restart",
      intervalSec: 3,
      region: "us-east-1",
      accountId: "000000000000",
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(sent).toHaveLength(4);
    expect(sent[0]).toMatchObject({
      FunctionName: "restart",
      InvocationType: "Event",
      event: {
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: "000000000000",
        region: "us-east-1",
        resources: ["arn:aws:events:us-east-1:000000000000:rule/restart-schedule"],
        detail: {},
      },
    });
    await scheduler.stop();
  });

  it("stops firing once stopped", async () => {
    const { lambda, sent } = fakeLambda();
    const scheduler = startScheduler({
      lambda: lambda as never,
      functionName: "restart",
      intervalSec: 1,
      region: "us-east-1",
      accountId: "000000000000",
      fireImmediately: false,
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent).toHaveLength(2);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    await scheduler.fire();
    expect(sent).toHaveLength(2);
  });

  it("keeps its schedule when an invocation fails", async () => {
    const { lambda, sent } = fakeLambda();
    lambda.send.mockRejectedValueOnce(new Error("TooManyRequestsException"));
    const warn = vi.fn();
    const scheduler = startScheduler({
      lambda: lambda as never,
      functionName: "restart",
      intervalSec: 1,
      region: "us-east-1",
      accountId: "000000000000",
      logger: { warn, debug() {} },
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(warn).toHaveBeenCalledOnce();
    expect(sent).toHaveLength(1);
    await scheduler.stop();
  });
});
