import { describe, expect, it } from "vitest";
import type { VisibilityTimeoutCache } from "../dispatch/extendVisibility.js";
import { FunctionInfoUnavailableError } from "../functions/functionInfoErrors.js";
import { createFunctionFit } from "./functionFit.js";

const logger = { debug() {}, warn() {} };

function fitWith(timeoutSec: number | Error | undefined, visibilitySec: number) {
  const cache: VisibilityTimeoutCache = new Map();
  return createFunctionFit({
    functions: {
      async get() {
        if (timeoutSec instanceof Error) throw timeoutSec;
        return timeoutSec === undefined ? undefined : { arn: "arn", timeoutSec, state: "Active" };
      },
    },
    queue: { visibilityTimeoutSec: async () => visibilitySec },
    clock: { now: () => 0 },
    logger,
    visibilityCache: cache,
    defaultHandlerMsOf: () => 2000,
  });
}

const route = { functionName: "billing", batchWindowSec: 0 };

describe("createFunctionFit", () => {
  it("gives a batch the function's own timeout as its budget", async () => {
    expect(await fitWith(8, 60)("q", route)).toEqual({ ok: true, handlerMs: 8000 });
  });

  it("blocks, naming both numbers, when the timeout exceeds the queue's visibility timeout", async () => {
    const fit = await fitWith(45, 30)("q", route);
    expect(fit).toEqual({
      ok: false,
      blockedReason:
        "function-timeout: queue visibility timeout (30s) must be at least the timeout of function 'billing' (45s), as Lambda requires",
    });
  });

  it("counts the batching window against the visibility timeout", async () => {
    const fit = await fitWith(20, 30)("q", { functionName: "billing", batchWindowSec: 15 });
    expect(fit.ok).toBe(false);
  });

  it("keeps the deploy-time budget when the function cannot be read", async () => {
    const unreadable = new FunctionInfoUnavailableError("billing", "AccessDenied");
    expect(await fitWith(unreadable, 30)("q", route)).toEqual({ ok: true, handlerMs: 2000 });
  });

  it("blocks as function-not-found when Lambda says the function does not exist", async () => {
    expect(await fitWith(undefined, 30)("q", route)).toEqual({
      ok: false,
      blockedReason: "function-not-found",
    });
  });
});
