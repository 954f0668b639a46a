import { describe, expect, it } from "vitest";
import { operationOf } from "../edge/operationOf.js";
import { createFaultInjector } from "./faultInjector.js";

describe("operationOf", () => {
  it("reads X-Amz-Target, Lambda's invoke path and RPC v2 CBOR paths", () => {
    expect(operationOf("POST", "/", { "x-amz-target": "DynamoDB_20120810.UpdateItem" })).toBe("UpdateItem");
    expect(operationOf("POST", "/2015-03-31/functions/poller/invocations", {})).toBe("Invoke");
    expect(operationOf("POST", "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", {})).toBe(
      "DescribeAlarms",
    );
    expect(operationOf("POST", "/", {})).toBeUndefined();
  });
});

describe("createFaultInjector", () => {
  it("refuses a rule with a rate outside 0..1, naming the field", () => {
    const faults = createFaultInjector();
    expect(() =>
      faults.set([
        { service: "sqs", operation: "*", rate: 2, error: { status: 500, type: "InternalError" } },
      ]),
    ).toThrow(/rate/);
  });
});
