import { describe, expect, it } from "vitest";
import { ConfigValidationError } from "./errors.js";
import { defineDispatcher } from "./parse.js";
import { createdQueueDefaults, isImportedQueue } from "./schema.js";

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

  it("imports a queue by name: no created-queue settings, and no visibility rule against the handler", () => {
    const registry = defineDispatcher({
      ...base,
      functions: { record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 900 } },
      routes: [{ queue: { name: "legacy-orders", import: true }, function: "record" }],
    });
    const queue = registry.routes[0]?.queue;
    expect(queue).toMatchObject({ name: "legacy-orders", import: true });
    expect(queue && isImportedQueue(queue)).toBe(true);
  });

  it("treats a queue with an ARN as imported and one with neither as created", () => {
    const registry = defineDispatcher({
      ...base,
      routes: [
        { queue: { name: "billing", arn: "arn:aws:sqs:eu-west-1:123456789012:billing" }, function: "record" },
        { queue: { name: "orders" }, function: "record" },
        { queue: { name: "audit", import: false }, function: "record" },
      ],
    });
    expect(registry.routes.map((r) => isImportedQueue(r.queue))).toEqual([true, false, false]);
    expect(registry.routes[1]?.queue).toMatchObject(createdQueueDefaults);
  });

  it("refuses 'import' together with 'arn', saying which to use", () => {
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          routes: [
            {
              queue: { name: "legacy", arn: "arn:aws:sqs:us-east-1:123456789012:legacy", import: true },
              function: "record",
            },
          ],
        }),
      ),
    ).toEqual([
      "routes[0].queue.import: give either 'arn' (imports the queue from any account and region) or 'import: true' (imports the queue of this name from the stack's own account and region), not both",
    ]);
  });

  it("refuses created-queue settings on an imported queue, by name or by ARN", () => {
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          routes: [
            {
              queue: { name: "legacy-orders", import: true, visibilityTimeoutSec: 60, retentionSec: 3_600 },
              function: "record",
            },
            {
              queue: {
                name: "billing",
                arn: "arn:aws:sqs:eu-west-1:123456789012:billing",
                maxReceiveCount: 3,
              },
              function: "record",
            },
          ],
        }),
      ),
    ).toEqual([
      "routes[0].queue.visibilityTimeoutSec: applies only to a queue the platform creates; an imported queue keeps its own attributes: remove 'visibilityTimeoutSec' (or drop the import to create the queue)",
      "routes[0].queue.retentionSec: applies only to a queue the platform creates; an imported queue keeps its own attributes: remove 'retentionSec' (or drop the import to create the queue)",
      "routes[1].queue.maxReceiveCount: applies only to a queue the platform creates; an imported queue keeps its own redrive policy: remove 'maxReceiveCount' (or drop the import to create the queue)",
    ]);
  });

  it("refuses unknown keys", () => {
    const found = messages(() => defineDispatcher({ ...base, colour: "blue" } as never));
    expect(found.join("\n")).toMatch(/colour/);
  });
});
