import { describe, expect, it } from "vitest";
import {
  InvalidFunctionDefinitionError,
  type LocalFunctionDefinition,
  validateFunctionDefinition,
} from "./functionDefinition.js";

const valid: LocalFunctionDefinition = {
  name: "poller",
  handler: "src/poller.handler",
  timeoutSec: 60,
  memoryMb: 512,
};

describe("validateFunctionDefinition", () => {
  it("accepts a definition within AWS's limits", () => {
    expect(() =>
      validateFunctionDefinition({ ...valid, reservedConcurrency: 0, recursiveLoop: "Allow" }),
    ).not.toThrow();
  });

  it.each([
    [{ name: "has space" }, "name must be"],
    [{ timeoutSec: 901 }, "timeoutSec must be"],
    [{ timeoutSec: 0 }, "timeoutSec must be"],
    [{ memoryMb: 64 }, "memoryMb must be"],
    [{ reservedConcurrency: -1 }, "reservedConcurrency must be"],
    [{ handler: "nodot" }, "handler must look like"],
    [{ environment: { "1BAD": "x" } }, "environment variable name"],
  ] as const)("rejects %j", (patch, message) => {
    const attempt = () => validateFunctionDefinition({ ...valid, ...patch } as LocalFunctionDefinition);
    expect(attempt).toThrow(InvalidFunctionDefinitionError);
    expect(attempt).toThrow(message);
  });
});
