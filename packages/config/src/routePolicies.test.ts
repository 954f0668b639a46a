import { describe, expect, it } from "vitest";
import { filtersFromJson } from "./filterPattern.js";
import { messages } from "./issueMessages.testkit.js";
import { formatNoMatchAction, parseNoMatchAction } from "./noMatchAction.js";
import { defineDispatcher, parseRoute } from "./parse.js";
import type { RegistryInput } from "./schema.js";

const base = {
  app: "demo",
  functions: {
    record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 30 },
    audit: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 30 },
  },
} satisfies Partial<RegistryInput>;

const stored = {
  queueName: "orders",
  queueUrl: "http://127.0.0.1:4566/000000000000/orders",
  functionName: "f",
};

describe("route policies in the registry", () => {
  it("takes filters, each onNoMatch kind and maxRate, and leaves them unset by default", () => {
    const registry = defineDispatcher({
      ...base,
      routes: [
        { queue: { name: "plain" }, function: "record" },
        {
          queue: { name: "orders" },
          function: "record",
          filters: [{ body: { type: ["order"] } }],
          onNoMatch: "forward:orders-parked",
          maxRate: 50,
        },
        {
          queue: { name: "refunds" },
          function: "record",
          filters: [{ body: [{ prefix: "R" }] }],
          onNoMatch: "invoke:audit",
        },
        {
          queue: { name: "noise" },
          function: "record",
          filters: [{ body: { a: [1] } }],
          onNoMatch: "delete",
          maxRate: 0.5,
        },
      ],
    });
    expect(registry.routes[0]).not.toHaveProperty("filters");
    expect(registry.routes[0]?.onNoMatch).toBeUndefined();
    expect(registry.routes[1]).toMatchObject({ onNoMatch: "forward:orders-parked", maxRate: 50 });
    expect(registry.routes[2]?.onNoMatch).toBe("invoke:audit");
    expect(registry.routes[3]?.maxRate).toBe(0.5);
  });

  it("refuses an onNoMatch that is none of the three forms", () => {
    for (const onNoMatch of ["drop", "forward:", "forward:bad name", "invoke:", "forward:a.fifo.x"]) {
      expect(messages(() => parseRoute({ ...stored, onNoMatch }))).toContain(
        "onNoMatch: must be 'delete', 'forward:<queue name>' or 'invoke:<function name>'",
      );
    }
  });

  it("refuses invoking a function the registry does not declare", () => {
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          routes: [{ queue: { name: "orders" }, function: "record", onNoMatch: "invoke:nobody" }],
        }),
      ),
    ).toContain(
      "routes[0].onNoMatch: invokes function 'nobody', which the registry does not declare (declared: record, audit)",
    );
  });

  it("refuses a no-match function whose timeout outlasts the queue's visibility timeout", () => {
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          functions: { ...base.functions, audit: { ...base.functions.audit, timeoutSec: 120 } },
          routes: [
            {
              queue: { name: "orders", visibilityTimeoutSec: 60 },
              function: "record",
              onNoMatch: "invoke:audit",
            },
          ],
        }),
      ),
    ).toContain(
      "routes[0].onNoMatch: queue visibility timeout (60s) must be at least the timeout of function 'audit' (120s), which onNoMatch invokes",
    );
  });

  it("refuses a no-match function whose timeout would let the loop's token go stale", () => {
    const issues = messages(() =>
      defineDispatcher({
        ...base,
        functions: { ...base.functions, audit: { ...base.functions.audit, timeoutSec: 60 } },
        routes: [
          {
            queue: { name: "orders", visibilityTimeoutSec: 120 },
            function: "record",
            onNoMatch: "invoke:audit",
          },
        ],
        local: { poller: {}, restart: { staleAfterSec: 30 } },
      }),
    );
    expect(issues.join("\n")).toMatch(
      /routes\[0\]\.onNoMatch: local restart\.staleAfterSec \(30s\) must exceed the longest gap between lease renewals plus the timeout of function 'audit' \(60s\)/,
    );
  });

  it("refuses forwarding to the route's own queue, and from a standard queue to a FIFO queue", () => {
    expect(messages(() => parseRoute({ ...stored, onNoMatch: "forward:orders" }))).toContain(
      "onNoMatch: forwards to the route's own queue 'orders': a message that matches no filter would come back forever",
    );
    expect(messages(() => parseRoute({ ...stored, onNoMatch: "forward:parked.fifo" }))).toContain(
      "onNoMatch: a standard queue's messages have no message group id, so they cannot be forwarded to FIFO queue 'parked.fifo'",
    );
    expect(
      parseRoute({
        ...stored,
        queueName: "orders.fifo",
        queueUrl: `${stored.queueUrl}.fifo`,
        onNoMatch: "forward:parked.fifo",
      }).onNoMatch,
    ).toBe("forward:parked.fifo");
  });

  it("refuses a maxRate that is not a positive number of messages a second", () => {
    expect(messages(() => parseRoute({ ...stored, maxRate: 0 }))).toEqual([
      "maxRate: Too small: expected number to be >0",
    ]);
    expect(messages(() => parseRoute({ ...stored, maxRate: "50" }))[0]).toMatch(/^maxRate: /);
  });
});

describe("age alarm tiers and depth mode's maxAgeSec", () => {
  it("defaults a tier to depth and takes age tiers, thresholds rising per metric", () => {
    const route = parseRoute({
      ...stored,
      alarms: [
        { threshold: 100 },
        { metric: "age", threshold: 60 },
        { threshold: 1000 },
        { metric: "age", threshold: 300 },
      ],
    });
    expect(route.alarms.map((t) => [t.metric ?? "depth", t.threshold])).toEqual([
      ["depth", 100],
      ["age", 60],
      ["depth", 1000],
      ["age", 300],
    ]);
    expect(
      messages(() =>
        parseRoute({
          ...stored,
          alarms: [
            { metric: "age", threshold: 300 },
            { metric: "age", threshold: 60 },
          ],
        }),
      ),
    ).toContain("alarms[1].threshold: alarm tiers must have rising thresholds (60 <= 300)");
    expect(messages(() => parseRoute({ ...stored, alarms: [{ metric: "size", threshold: 1 }] }))[0]).toMatch(
      /^alarms\[0\]\.metric: /,
    );
  });

  it("takes maxAgeSec in depth mode only", () => {
    expect(
      parseRoute({ ...stored, scaling: { mode: "depth", targetPerLoop: 100, maxAgeSec: 120 } }).scaling,
    ).toMatchObject({ maxAgeSec: 120 });
    expect(messages(() => parseRoute({ ...stored, scaling: { mode: "alarm", maxAgeSec: 120 } }))[0]).toMatch(
      /scaling/,
    );
  });
});

describe("no-match actions and filters files", () => {
  it("reads and writes each onNoMatch form", () => {
    for (const text of ["delete", "forward:orders-parked", "forward:parked.fifo", "invoke:audit"]) {
      const action = parseNoMatchAction(text);
      expect(action).toBeDefined();
      expect(formatNoMatchAction(action!)).toBe(text);
    }
  });

  it("reads a list of patterns or Lambda's FilterCriteria shape", () => {
    expect(filtersFromJson([{ body: { a: ["x"] } }])).toEqual([{ body: { a: ["x"] } }]);
    expect(filtersFromJson({ Filters: [{ Pattern: '{ "body": { "RequestCode": ["BBBB"] } }' }] })).toEqual([
      { body: { RequestCode: ["BBBB"] } },
    ]);
    expect(() => filtersFromJson({ Filters: [{ Pattern: "{nope" }] })).toThrow(
      /Filters.0.Pattern: is not valid JSON/,
    );
    expect(() => filtersFromJson({ filters: [] })).toThrow(/a filters file holds a list of patterns/);
  });
});
