import { ConfigValidationError, parseWith } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { type FaultRuleInput, faultRuleSchema } from "./faultRule.js";

const parse = (rule: unknown) => parseWith(faultRuleSchema, rule, "Fault rule 0");
const issuesOf = (rule: unknown) => {
  try {
    parse(rule);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues;
    throw error;
  }
  throw new Error("expected the rule to be refused");
};
const base = { service: "dynamodb", operation: "UpdateItem", rate: 1 } as const;

describe("faultRuleSchema", () => {
  it("refuses a rule with neither an error nor a delay, saying it needs one", () => {
    expect(issuesOf(base)).toEqual([
      {
        path: "",
        message: "a fault rule needs an error to answer with, a delayMs to hold the request, or both",
      },
    ]);
  });

  it("accepts an error alone, a delay alone (a late pass-through) and both (a late error)", () => {
    const error = { status: 500, type: "InternalServerError" };
    expect(parse({ ...base, error }).error?.message).toMatch(/injected/);
    expect(parse({ ...base, delayMs: 2_000 })).toEqual({ ...base, delayMs: 2_000 });
    expect(parse({ ...base, error, delayMs: 10 })).toMatchObject({ delayMs: 10, error });
  });

  it("refuses a delay that is not a whole number of ms between 1 and Lambda's 15 minutes", () => {
    for (const delayMs of [0, -5, 1.5, 900_001]) {
      expect(issuesOf({ ...base, delayMs }).map((i) => i.path)).toEqual(["delayMs"]);
    }
  });

  it("refuses a caller that cannot be a function name, with the rule in the message", () => {
    const rule: FaultRuleInput = { ...base, delayMs: 1, caller: "my poller" };
    expect(issuesOf(rule)).toEqual([
      { path: "caller", message: "caller must be a Lambda function name: 1-64 letters, digits, - and _" },
    ]);
    expect(parse({ ...rule, caller: "itest-poller_2" }).caller).toBe("itest-poller_2");
  });

  it("refuses unknown keys", () => {
    expect(issuesOf({ ...base, delayMs: 1, callers: ["poller"] })[0]?.message).toMatch(/callers/);
  });
});
