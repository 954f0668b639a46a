import { describe, expect, it } from "vitest";
import { sessionTokenOf } from "../lambda/lambdaService.js";
import { callerOf } from "./callerOf.js";

describe("callerOf", () => {
  it("names the function whose session token signed the request", () => {
    expect(callerOf({ "x-amz-security-token": sessionTokenOf("poller") })).toBe("poller");
    expect(callerOf({ "x-amz-security-token": sessionTokenOf("scale-up") })).toBe("scale-up");
  });

  it("finds no caller in a request from outside any function", () => {
    expect(callerOf({})).toBeUndefined();
    expect(callerOf({ "x-amz-security-token": "IQoJb3JpZ2luX2VjEXAMPLE" })).toBeUndefined();
    expect(callerOf({ "x-amz-security-token": sessionTokenOf("") })).toBeUndefined();
  });
});
