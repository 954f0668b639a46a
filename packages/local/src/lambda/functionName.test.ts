import { describe, expect, it } from "vitest";
import { parseFunctionName } from "./functionName.js";

describe("parseFunctionName", () => {
  it("accepts a name, a partial ARN and a full ARN, with or without a qualifier", () => {
    expect(parseFunctionName("poller")).toEqual({ name: "poller" });
    expect(parseFunctionName("123456789012:function:poller")).toEqual({
      name: "poller",
      accountId: "123456789012",
    });
    expect(parseFunctionName("arn:aws:lambda:eu-west-1:123456789012:function:poller:$LATEST")).toEqual({
      name: "poller",
      region: "eu-west-1",
      accountId: "123456789012",
      qualifier: "$LATEST",
    });
    expect(parseFunctionName("poller:live")).toEqual({ name: "poller", qualifier: "live" });
  });

  it("rejects what Lambda would not resolve", () => {
    expect(parseFunctionName("")).toBeUndefined();
    expect(parseFunctionName("bad name")).toBeUndefined();
    expect(parseFunctionName("x".repeat(65))).toBeUndefined();
  });
});
