import { describe, expect, it } from "vitest";
import { ConfigValidationError } from "./errors.js";
import { defineDispatcher } from "./parse.js";

const base = {
  app: "demo",
  functions: { record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 30 } },
};

function messages(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error("expected a ConfigValidationError");
}

describe("defineDispatcher", () => {
  it("fills defaults for a minimal route", () => {
    const registry = defineDispatcher({
      ...base,
      routes: [{ queue: { name: "orders" }, function: "record" }],
    });
    expect(registry.routes[0]).toMatchObject({ batchSize: 10, minLoops: 1, maxLoops: 1, paused: false });
    expect(registry.poller.waitTimeSec).toBe(20);
  });

  it("refuses minLoops above maxLoops, naming the field", () => {
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          routes: [{ queue: { name: "q" }, function: "record", minLoops: 3, maxLoops: 2 }],
        }),
      ),
    ).toContain("routes[0].minLoops: minLoops (3) must not exceed maxLoops (2)");
  });

  it("refuses a batch size outside 1-10", () => {
    const found = messages(() =>
      defineDispatcher({ ...base, routes: [{ queue: { name: "q" }, function: "record", batchSize: 11 }] }),
    );
    expect(found.some((m) => m.startsWith("routes[0].batchSize:"))).toBe(true);
  });

  it("refuses a route to a function the registry lacks", () => {
    expect(
      messages(() => defineDispatcher({ ...base, routes: [{ queue: { name: "q" }, function: "nope" }] })),
    ).toContain(
      "routes[0].function: names function 'nope', which the registry does not declare (declared: record)",
    );
  });

  it("refuses a visibility timeout shorter than the handler's timeout", () => {
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          routes: [{ queue: { name: "q", visibilityTimeoutSec: 10 }, function: "record" }],
        }),
      ),
    ).toContain(
      "routes[0].queue.visibilityTimeoutSec: queue visibility timeout (10s) must be at least the timeout of function 'record' (30s), as Lambda requires",
    );
  });

  it("refuses unknown keys", () => {
    const found = messages(() => defineDispatcher({ ...base, colour: "blue" } as never));
    expect(found.join("\n")).toMatch(/colour/);
  });
});
