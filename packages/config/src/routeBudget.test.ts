import { describe, expect, it } from "vitest";
import shipped from "../../../dispatcher.config.js";
import { messages } from "./issueMessages.testkit.js";
import { defineDispatcher } from "./parse.js";
import { checkRouteFits, RouteFitRule } from "./routeBudget.js";

const localTiming = {
  timeoutSec: 30,
  waitTimeSec: 3,
  marginSec: 2,
  renewEverySec: 5,
  staleAfterSec: 15,
};

describe("checkRouteFits", () => {
  it("fits the shipped local routes", () => {
    const route = { queueName: "orders", batchWindowSec: 0, functionName: "record", handlerTimeoutSec: 10 };
    expect(checkRouteFits(route, localTiming)).toEqual([]);
  });

  it("refuses a window that would not let one batch fit the invocation, naming the numbers", () => {
    const problems = checkRouteFits(
      { queueName: "orders", batchWindowSec: 16, functionName: "record", handlerTimeoutSec: 10 },
      localTiming,
    );
    expect(problems.map((p) => p.rule)).toContain(RouteFitRule.Invocation);
    expect(problems.find((p) => p.rule === RouteFitRule.Invocation)?.message).toBe(
      "route 'orders': one batch does not fit one poller invocation: waitTimeSec (3s) + batchWindowSec (16s) + the timeout of function 'record' (10s) + marginSec (2s) = 31s > poller timeoutSec (30s); shorten batchWindowSec to at most 15s, shorten the function's timeout, or raise poller timeoutSec to at least 31s",
    );
  });

  it("refuses a window that would let restart take over a live loop, naming the numbers", () => {
    const problems = checkRouteFits(
      { queueName: "audit", batchWindowSec: 12, functionName: "middyRecord", handlerTimeoutSec: 10 },
      localTiming,
    );
    expect(problems).toEqual([
      {
        rule: RouteFitRule.Staleness,
        maxBatchWindowSec: 4,
        message:
          "route 'audit': its loops' lease would go stale between renewals: renewEverySec (5s) + waitTimeSec (3s) + batchWindowSec (12s) + marginSec (2s) = 22s, not below restart staleAfterSec (15s); shorten batchWindowSec to at most 4s, lower renewEverySec, or raise staleAfterSec above 22s",
      },
    ]);
  });

  it("uses the route's own handler timeout, not the longest in the registry", () => {
    const timing = { ...localTiming, staleAfterSec: 60 };
    const short = { queueName: "q", batchWindowSec: 20, functionName: "quick", handlerTimeoutSec: 5 };
    expect(checkRouteFits(short, timing)).toEqual([]);
    expect(checkRouteFits({ ...short, functionName: "slow", handlerTimeoutSec: 6 }, timing)).toHaveLength(1);
  });
});

describe("the registry applies it to every route", () => {
  it("accepts the shipped registry", () => {
    expect(shipped.routes.length).toBeGreaterThan(0);
  });

  it("refuses a route whose window does not fit the local invocation, on the route's batchWindowSec", () => {
    const found = messages(() =>
      defineDispatcher({
        app: "demo",
        functions: { record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 10 } },
        routes: [
          {
            queue: { name: "orders", visibilityTimeoutSec: 60 },
            function: "record",
            batchSize: 100,
            batchWindowSec: 16,
          },
        ],
        restart: { staleAfterSec: 960 },
        local: {
          poller: { timeoutSec: 30, waitTimeSec: 3, marginSec: 2, renewEverySec: 5 },
          restart: { staleAfterSec: 60 },
        },
      }),
    );
    expect(found).toEqual([
      "routes[0].batchWindowSec: local route 'orders': one batch does not fit one poller invocation: waitTimeSec (3s) + batchWindowSec (16s) + the timeout of function 'record' (10s) + marginSec (2s) = 31s > poller timeoutSec (30s); shorten batchWindowSec to at most 15s, shorten the function's timeout, or raise poller timeoutSec to at least 31s",
    ]);
  });
});
