import { describe, expect, it } from "vitest";
import {
  isUnderPath,
  normalizePath,
  parameterArn,
  parseParameterReference,
  validateNewParameterName,
} from "./parameterNames.js";
import { SsmErrorCode } from "./ssmErrors.js";

const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe("validateNewParameterName", () => {
  it("accepts flat names and fully qualified hierarchies", () => {
    for (const name of ["plain", "with.dots-and_underscores", "/a", "/a/b/c", "/my-aws/not-a-prefix"]) {
      expect(
        codeOf(() => validateNewParameterName(name)),
        name,
      ).toBeUndefined();
    }
  });

  it("refuses what AWS refuses, with the message naming the rule", () => {
    const cases: Array<[string, string]> = [
      ["a/b", "fully qualified"],
      ["/a/", "empty"],
      ["/a//b", "empty"],
      ["/has space", "characters"],
      ["/aws/x", "prefixed"],
      ["SSM-thing", "prefixed"],
      ["", "empty"],
      ["x".repeat(1012), "longer"],
    ];
    for (const [name, why] of cases) {
      expect(() => validateNewParameterName(name), name).toThrow(why);
    }
    const deep = `/${Array.from({ length: 16 }, () => "l").join("/")}`;
    expect(codeOf(() => validateNewParameterName(deep))).toBe(
      SsmErrorCode.HierarchyLevelLimitExceededException,
    );
  });
});

describe("paths", () => {
  it("normalizes a trailing slash and refuses relative paths", () => {
    expect(normalizePath("/a/b/")).toBe("/a/b");
    expect(normalizePath("/")).toBe("/");
    expect(codeOf(() => normalizePath("a/b"))).toBe(SsmErrorCode.ValidationException);
  });

  it("tells direct children from deeper descendants", () => {
    expect(isUnderPath("/a/b", "/a", false)).toBe(true);
    expect(isUnderPath("/a/b/c", "/a", false)).toBe(false);
    expect(isUnderPath("/a/b/c", "/a", true)).toBe(true);
    expect(isUnderPath("/ab/c", "/a", true)).toBe(false);
    expect(isUnderPath("/a", "/a", true)).toBe(false);
    expect(isUnderPath("flat", "/", false)).toBe(true);
    expect(isUnderPath("/top", "/", false)).toBe(true);
    expect(isUnderPath("/top/x", "/", false)).toBe(false);
  });
});

describe("references and ARNs", () => {
  it("splits a version selector and reads names out of ARNs", () => {
    expect(parseParameterReference("/a/b:3")).toEqual({ name: "/a/b", candidates: ["/a/b"], selector: "3" });
    expect(parseParameterReference("flat")).toEqual({ name: "flat", candidates: ["flat"] });
    expect(parseParameterReference("arn:aws:ssm:us-east-1:000000000000:parameter/a/b:2")).toEqual({
      name: "/a/b",
      candidates: ["/a/b", "a/b"],
      selector: "2",
    });
  });

  it("builds the ARN AWS gives flat and hierarchical names", () => {
    expect(parameterArn("/a/b", "eu-west-1", "123456789012")).toBe(
      "arn:aws:ssm:eu-west-1:123456789012:parameter/a/b",
    );
    expect(parameterArn("flat", "us-east-1", "000000000000")).toBe(
      "arn:aws:ssm:us-east-1:000000000000:parameter/flat",
    );
  });
});
