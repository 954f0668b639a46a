import { describe, expect, it } from "vitest";
import { messages } from "./issueMessages.testkit.js";
import { type LoopCounts, limitRoutes, loopsTotal, PlatformLimits } from "./limits.js";
import { platformHandlerProblem } from "./naming.js";
import { defineDispatcher, parseRoute } from "./parse.js";
import { isRoutableQueue, loopLimitIssues, registryWarnings } from "./schema.js";

const base = {
  app: "demo",
  functions: { record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 30 } },
};

const storedRoute = {
  queueName: "orders",
  queueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
  functionName: "demo-prod-record",
};

describe("loop limits", () => {
  it("names the five largest routes over limits.maxLoopsTotal and counts the rest", () => {
    const routes = Array.from({ length: 100 }, (_, i) => ({
      queueName: `q${i}`,
      maxLoops: i === 42 ? 30 : 10,
      concurrency: 1,
    }));
    const [issue] = loopLimitIssues(routes, { maxLoopsPerRoute: 50, maxLoopsTotal: 200 });
    expect(issue?.message).toBe(
      "the routes' maxLoops × concurrency add up to 1020 (q42 30×1, q0 10×1, q1 10×1, q2 10×1, q3 10×1 and 95 more), above limits.maxLoopsTotal (200); lower maxLoops or concurrency, or raise limits.maxLoopsTotal within the account's Lambda concurrency",
    );
  });

  it("names the five largest routes of a function whose reserved concurrency they exceed", () => {
    const routes = Array.from({ length: 8 }, (_, i) => ({
      queue: { name: `q${i}` },
      function: "record",
      maxLoops: i === 7 ? 3 : 1,
      concurrency: 1,
    }));
    const registry = defineDispatcher({
      ...base,
      functions: { record: { ...base.functions.record, reservedConcurrency: 2 } },
      routes,
    });
    expect(registryWarnings(registry)).toEqual([
      "function 'record' has reservedConcurrency 2, below what its routes may run at once (q7 3×1 + q0 1×1 + q1 1×1 + q2 1×1 + q3 1×1 and 3 more = 10): batches will be throttled at the top of scaling",
    ]);
  });

  it("defaults to 50 loops per route and 200 in total", () => {
    expect(defineDispatcher(base).limits).toEqual({ maxLoopsPerRoute: 50, maxLoopsTotal: 200 });
  });

  it("refuses a route above limits.maxLoopsPerRoute, saying which setting to change", () => {
    expect(
      messages(() =>
        defineDispatcher({ ...base, routes: [{ queue: { name: "q" }, function: "record", maxLoops: 51 }] }),
      ),
    ).toContain(
      "routes[0].maxLoops: maxLoops (51) of queue 'q' exceeds limits.maxLoopsPerRoute (50); lower maxLoops or raise limits.maxLoopsPerRoute in dispatcher.config.ts",
    );
  });

  it("refuses a registry whose maxLoops × concurrency add up past limits.maxLoopsTotal, naming the routes", () => {
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          limits: { maxLoopsTotal: 100 },
          routes: [
            { queue: { name: "a" }, function: "record", maxLoops: 10, concurrency: 5 },
            { queue: { name: "b" }, function: "record", maxLoops: 20, concurrency: 4 },
          ],
        }),
      ),
    ).toEqual([
      "limits.maxLoopsTotal: the routes' maxLoops × concurrency add up to 130 (b 20×4, a 10×5), above limits.maxLoopsTotal (100); lower maxLoops or concurrency, or raise limits.maxLoopsTotal within the account's Lambda concurrency",
    ]);
  });

  it("refuses limits above the platform's ceilings", () => {
    const found = messages(() =>
      defineDispatcher({ ...base, limits: { maxLoopsPerRoute: 1_001, maxLoopsTotal: 10_001 } }),
    );
    expect(found.some((m) => m.startsWith("limits.maxLoopsPerRoute:"))).toBe(true);
    expect(found.some((m) => m.startsWith("limits.maxLoopsTotal:"))).toBe(true);
  });

  it("refuses a scaleStep above maxLoops (one ALARM could start more loops than the route may have)", () => {
    expect(messages(() => parseRoute({ ...storedRoute, maxLoops: 4, scaleStep: 5 }))).toEqual([
      "scaleStep: scaleStep (5) must not exceed maxLoops (4)",
    ]);
  });

  it("holds every stored route to a loose ceiling (run time clamps it to the registry's limits)", () => {
    expect(
      messages(() => parseRoute({ ...storedRoute, minLoops: 100_000_000, maxLoops: 100_000_000 })),
    ).toEqual([
      `minLoops: must be at most ${PlatformLimits.maxLoopsTotalCeiling}, the highest limits.maxLoopsTotal a registry may set`,
      `maxLoops: must be at most ${PlatformLimits.maxLoopsTotalCeiling}, the highest limits.maxLoopsTotal a registry may set`,
    ]);
    expect(parseRoute({ ...storedRoute, minLoops: 5_000, maxLoops: 5_000 }).minLoops).toBe(5_000);
    expect(
      messages(() =>
        parseRoute({ ...storedRoute, maxLoops: Number.MAX_SAFE_INTEGER, scaleStep: Number.MAX_SAFE_INTEGER }),
      ).map((m) => m.split(":")[0]),
    ).toEqual(["maxLoops", "scaleStep"]);
  });

  it("checks an edited set of routes with the same rule the registry uses", () => {
    const limits = { maxLoopsPerRoute: 8, maxLoopsTotal: 40 };
    expect(
      loopLimitIssues(
        [
          { queueName: "a", maxLoops: 8, concurrency: 4 },
          { queueName: "b", maxLoops: 9, concurrency: 1 },
        ],
        limits,
      ),
    ).toEqual([
      {
        index: 1,
        field: "maxLoops",
        message:
          "maxLoops (9) of queue 'b' exceeds limits.maxLoopsPerRoute (8); lower maxLoops or raise limits.maxLoopsPerRoute in dispatcher.config.ts",
      },
      {
        field: "maxLoops",
        message:
          "the routes' maxLoops × concurrency add up to 41 (a 8×4, b 9×1), above limits.maxLoopsTotal (40); lower maxLoops or concurrency, or raise limits.maxLoopsTotal within the account's Lambda concurrency",
      },
    ]);
    expect(loopLimitIssues([{ queueName: "a", maxLoops: 8, concurrency: 5 }], limits)).toEqual([]);
  });
});

describe("schema completeness", () => {
  it("accepts CloudWatch's periods (10, 30, multiples of 60) and refuses others", () => {
    for (const periodSec of [10, 30, 60, 120, 3_600]) {
      expect(() => parseRoute({ ...storedRoute, alarms: [{ threshold: 1, periodSec }] })).not.toThrow();
    }
    expect(messages(() => parseRoute({ ...storedRoute, alarms: [{ threshold: 1, periodSec: 45 }] }))).toEqual(
      ["alarms[0].periodSec: must be 10, 30 or a multiple of 60 seconds, as CloudWatch alarms accept (45)"],
    );
  });

  it("refuses an evaluation window longer than a day", () => {
    expect(
      messages(() =>
        parseRoute({ ...storedRoute, alarms: [{ threshold: 1, periodSec: 3_600, evaluationPeriods: 25 }] }),
      ),
    ).toEqual([
      "alarms[0].evaluationPeriods: evaluationPeriods × periodSec (90000s) must not exceed one day (86400s), as CloudWatch requires",
    ]);
  });

  it("refuses an environment key Lambda reserves", () => {
    expect(
      messages(() =>
        defineDispatcher({
          app: "demo",
          functions: {
            record: { handler: "a/b.handler", environment: { AWS_REGION: "eu-west-1", OK: "1" } },
          },
        }),
      ),
    ).toEqual([
      "functions.record.environment.AWS_REGION: 'AWS_REGION' is reserved by Lambda (it sets it itself); rename the variable",
    ]);
  });

  it("refuses reservedConcurrency 0, and one below the route's concurrency", () => {
    expect(
      messages(() =>
        defineDispatcher({
          app: "demo",
          functions: { record: { handler: "a/b.handler", reservedConcurrency: 0 } },
        }),
      ),
    ).toEqual(["functions.record.reservedConcurrency: must be at least 1 (0 would throttle every invoke)"]);
    expect(
      messages(() =>
        defineDispatcher({
          ...base,
          functions: { record: { ...base.functions.record, reservedConcurrency: 3 } },
          routes: [{ queue: { name: "q" }, function: "record", concurrency: 4 }],
        }),
      ),
    ).toEqual([
      "functions.record.reservedConcurrency: reservedConcurrency (3) of function 'record' must be at least the concurrency (4) of the route of queue 'q' (routes[0]), or every loop throttles itself",
    ]);
  });

  it("warns when reservedConcurrency is below what the function's routes may run at once", () => {
    const registry = defineDispatcher({
      ...base,
      functions: { record: { ...base.functions.record, reservedConcurrency: 10 } },
      routes: [{ queue: { name: "q" }, function: "record", concurrency: 4, maxLoops: 3 }],
    });
    expect(registryWarnings(registry)).toEqual([
      "function 'record' has reservedConcurrency 10, below what its routes may run at once (q 3×4 = 12): batches will be throttled at the top of scaling",
    ]);
  });
});

describe("routable queues", () => {
  it("allows the registry's queues and those routableQueues names or prefixes", () => {
    const registry = defineDispatcher({
      ...base,
      routableQueues: ["reports-*", "billing.fifo"],
      routes: [{ queue: { name: "orders" }, function: "record" }],
    });
    expect(["orders", "reports-daily", "billing.fifo"].map((q) => isRoutableQueue(registry, q))).toEqual([
      true,
      true,
      true,
    ]);
    expect(["report", "billing", "other"].map((q) => isRoutableQueue(registry, q))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it("refuses an entry that is neither a queue name nor a prefix", () => {
    expect(messages(() => defineDispatcher({ ...base, routableQueues: ["*"] }))).toEqual([
      "routableQueues[0]: must be a queue name, or a name prefix ending in '*' (letters, digits, '-' or '_')",
    ]);
  });

  it("deploys the examples only when asked", () => {
    expect(defineDispatcher(base).examples).toBe(false);
    expect(defineDispatcher({ ...base, examples: true }).examples).toBe(true);
  });
});

describe("limitRoutes (the run-time clamp)", () => {
  const r = (queueName: string, extra: Partial<LoopCounts> = {}): LoopCounts => ({
    queueName,
    minLoops: 1,
    maxLoops: 4,
    scaleStep: 1,
    concurrency: 1,
    ...extra,
  });
  const limits = { maxLoopsPerRoute: 50, maxLoopsTotal: 200 };

  it("leaves routes within the limits as they are", () => {
    const routes = [r("a"), r("b", { maxLoops: 49, concurrency: 4 })];
    expect(limitRoutes(routes, limits)).toEqual(routes);
  });

  it("clamps a route over maxLoopsPerRoute, minLoops and scaleStep with it, and says why", () => {
    const [out] = limitRoutes([r("big", { minLoops: 5000, maxLoops: 5000, scaleStep: 5000 })], limits);
    expect(out).toMatchObject({ minLoops: 50, maxLoops: 50, scaleStep: 50 });
    expect(out?.clamped).toMatch(
      /^clamped: maxLoops 5000 > 50 \(limits.maxLoopsPerRoute\); minLoops 5000 > 50/,
    );
  });

  it("cuts the largest routes first until Σ maxLoops × concurrency fits maxLoopsTotal", () => {
    const out = limitRoutes(
      [
        r("a", { maxLoops: 50, concurrency: 4 }),
        r("b", { maxLoops: 50, concurrency: 4 }),
        r("c", { maxLoops: 2 }),
      ],
      { maxLoopsPerRoute: 50, maxLoopsTotal: 100 },
    );
    expect(loopsTotal(out)).toBeLessThanOrEqual(100);
    expect(out.map((x) => x.maxLoops)).toEqual([12, 12, 2]);
    expect(out[2]?.clamped).toBeUndefined();
    expect(out[0]?.clamped).toMatch(/maxLoops cut to 12/);
  });
});

describe("a route's handler", () => {
  it.each([
    "poller",
    "route-sync",
    "shop-prod-scale-up",
    "shop-prod-eu-admin-api",
  ])("refuses the platform's own function %s", (functionName) => {
    expect(messages(() => parseRoute({ ...storedRoute, functionName }))).toEqual([
      expect.stringMatching(/^functionName: is the platform's own '[a-z-]+' function/),
    ]);
  });

  it.each([
    ["arn:aws:lambda:us-east-1:123456789012:function:shop-prod-restart", "restart"],
    ["arn:aws:lambda:us-east-1:123456789012:function:shop-prod-scale-down:live", "scale-down"],
  ])("names the platform function an ARN points at: %s", (arn, name) => {
    expect(platformHandlerProblem(arn)).toContain(`'${name}'`);
  });

  it("accepts a function of the user's", () => {
    expect(parseRoute({ ...storedRoute, functionName: "shop-prod-record" }).functionName).toBe(
      "shop-prod-record",
    );
    expect(platformHandlerProblem("pollerish")).toBeUndefined();
  });
});
