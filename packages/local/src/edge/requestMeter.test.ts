import { describe, expect, it } from "vitest";
import { createRequestMeter, OPERATOR_CALLER } from "./requestMeter.js";

describe("createRequestMeter", () => {
  const keys: Record<string, string> = { AKPOLLER: "poller", AKRESTART: "restart" };
  const meter = () => createRequestMeter({ callerOf: (key) => keys[key] });

  it("counts every request per service:operation", () => {
    const m = meter();
    m.count("sqs", "ReceiveMessage", "AKPOLLER");
    m.count("sqs", "ReceiveMessage", "test");
    m.count("dynamodb", undefined);
    expect(m.snapshot()).toEqual({ "sqs:ReceiveMessage": 2, "dynamodb:?": 1 });
  });

  it("counts each function's requests apart, and unknown keys as the operator's", () => {
    const m = meter();
    m.count("sqs", "ReceiveMessage", "AKPOLLER");
    m.count("dynamodb", "UpdateItem", "AKPOLLER");
    m.count("dynamodb", "Scan", "AKRESTART");
    m.count("sqs", "GetQueueAttributes", "test");
    m.count("sqs", "ListQueues");
    expect(m.snapshot("poller")).toEqual({ "sqs:ReceiveMessage": 1, "dynamodb:UpdateItem": 1 });
    expect(m.snapshot("restart")).toEqual({ "dynamodb:Scan": 1 });
    expect(m.snapshot(OPERATOR_CALLER)).toEqual({ "sqs:GetQueueAttributes": 1, "sqs:ListQueues": 1 });
    expect(m.snapshot("scale-up")).toEqual({});
  });

  it("starts again from nothing after reset", () => {
    const m = meter();
    m.count("sqs", "ReceiveMessage", "AKPOLLER");
    m.reset();
    expect(m.snapshot()).toEqual({});
    expect(m.snapshot("poller")).toEqual({});
  });
});
