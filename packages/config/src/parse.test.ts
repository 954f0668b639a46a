import { describe, expect, it } from "vitest";
import { messages } from "./issueMessages.testkit.js";
import { defineDispatcher } from "./parse.js";
import { createdQueueDefaults, isImportedQueue } from "./schema.js";

const base = {
  app: "demo",
  functions: { record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 30 } },
};

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

  it("refuses a batch size above 10 without a batching window, and above 10,000 at all", () => {
    expect(
      messages(() =>
        defineDispatcher({ ...base, routes: [{ queue: { name: "q" }, function: "record", batchSize: 11 }] }),
      ),
    ).toContain(
      "routes[0].batchWindowSec: a batchSize above 10 (11) needs a batching window: set batchWindowSec to at least 1",
    );
    const found = messages(() =>
      defineDispatcher({
        ...base,
        routes: [{ queue: { name: "q" }, function: "record", batchSize: 10_001, batchWindowSec: 5 }],
      }),
    );
    expect(found.some((m) => m.startsWith("routes[0].batchSize:"))).toBe(true);
  });

  it("takes up to 10,000 records with a batching window on a standard queue", () => {
    const registry = defineDispatcher({
      ...base,
      routes: [
        {
          queue: { name: "q", visibilityTimeoutSec: 60 },
          function: "record",
          batchSize: 10_000,
          batchWindowSec: 20,
        },
      ],
    });
    expect(registry.routes[0]).toMatchObject({ batchSize: 10_000, batchWindowSec: 20, concurrency: 4 });
  });

  it("refuses a FIFO batch above 10 and any FIFO batching window, as Lambda does", () => {
    const found = messages(() =>
      defineDispatcher({
        ...base,
        routes: [
          {
            queue: { name: "q.fifo", visibilityTimeoutSec: 60 },
            function: "record",
            batchSize: 20,
            batchWindowSec: 1,
          },
        ],
      }),
    );
    expect(found).toContain(
      "routes[0].batchSize: a FIFO queue's batchSize is at most 10 (20), as with Lambda's event source",
    );
    expect(found).toContain(
      "routes[0].batchWindowSec: a FIFO queue takes no batching window (batchWindowSec must be 0), as with Lambda's event source",
    );
  });

  it("refuses a batching window that does not fit the queue's visibility timeout with the handler's", () => {
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          routes: [
            { queue: { name: "q", visibilityTimeoutSec: 40 }, function: "record", batchWindowSec: 15 },
          ],
        }),
      ),
    ).toContain(
      "routes[0].batchWindowSec: a batching window of 15s plus the timeout of function 'record' (30s) does not fit the queue's visibility timeout (40s): shorten the window or raise visibilityTimeoutSec to at least 45",
    );
  });

  it("refuses a concurrency outside 1-10", () => {
    for (const concurrency of [0, 11]) {
      const found = messages(() =>
        defineDispatcher({ ...base, routes: [{ queue: { name: "q" }, function: "record", concurrency }] }),
      );
      expect(found.some((m) => m.startsWith("routes[0].concurrency:"))).toBe(true);
    }
  });

  it("refuses renewal settings that would let a live loop's lease go stale, for AWS and local settings", () => {
    expect(
      messages(() =>
        defineDispatcher({ ...base, poller: { renewEverySec: 600 }, restart: { staleAfterSec: 600 } }),
      ),
    ).toContain(
      "restart.staleAfterSec: restart.staleAfterSec (600s) must exceed the longest gap between lease renewals: poller.renewEverySec (600) + poller.waitTimeSec (20) + the longest batching window (0) + poller.marginSec (5) = 625s; raise staleAfterSec above 625 or lower renewEverySec",
    );
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          routes: [
            {
              queue: { name: "q", visibilityTimeoutSec: 60 },
              function: "record",
              batchSize: 100,
              batchWindowSec: 25,
            },
          ],
          local: {
            poller: { renewEverySec: 5, waitTimeSec: 3, marginSec: 2 },
            restart: { staleAfterSec: 30 },
          },
        }),
      ),
    ).toContain(
      "routes[0].batchWindowSec: local route 'q': its loops' lease would go stale between renewals: renewEverySec (5s) + waitTimeSec (3s) + batchWindowSec (25s) + marginSec (2s) = 35s, not below restart staleAfterSec (30s); shorten batchWindowSec to at most 19s, lower renewEverySec, or raise staleAfterSec above 35s",
    );
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
      functions: { record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 600 } },
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
