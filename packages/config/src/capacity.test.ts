import { describe, expect, it } from "vitest";
import {
  CapacityError,
  checkDeployCapacity,
  concurrencyDemand,
  concurrencyHeadroom,
  routeReadLoad,
  routeReadProblem,
} from "./capacity.js";

const routes = (count: number, maxLoops: number, concurrency = 4) =>
  Array.from({ length: count }, (_, i) => ({ queueName: `q${i}`, maxLoops, concurrency }));

describe("route read throughput", () => {
  it("counts one marker read per loop per TTL at rest, twice that in the TTL after an edit", () => {
    const load = routeReadLoad(routes(10, 10), { routeCacheTtlSec: 10 }, "ssm");
    expect(load).toMatchObject({ loops: 100, ttlSec: 10, perLoopPerSec: 0.1, worstCasePerSec: 20 });
    expect(routeReadProblem(load)).toBeUndefined();
  });

  it("refuses 1,000 loops on SSM at a 10 s TTL, with the numbers and the settings to change", () => {
    const problem = routeReadProblem(routeReadLoad(routes(100, 10), { routeCacheTtlSec: 10 }, "ssm"));
    expect(problem).toBe(
      "route reads at maxLoops would exceed the route store: 2 × 1,000 loops / routeCacheTtlSec 10 s = 200 reads/s " +
        "in the TTL after a route edit, above SSM Parameter Store's standard throughput of 40 reads/s; " +
        'raise poller.routeCacheTtlSec to at least 50, set routeStore to "dynamodb" (3,000 reads/s), ' +
        "or lower the routes' maxLoops",
    );
  });

  it("accepts the same loops on DynamoDB, and counts a TTL of 0 as a read a second", () => {
    expect(
      routeReadProblem(routeReadLoad(routes(100, 10), { routeCacheTtlSec: 10 }, "dynamodb")),
    ).toBeUndefined();
    const zero = routeReadLoad(routes(1, 30), { routeCacheTtlSec: 0 }, "ssm");
    expect(zero.worstCasePerSec).toBe(60);
    expect(routeReadProblem(zero)).toMatch(/raise poller.routeCacheTtlSec to at least 2/);
  });

  it("names only the store and maxLoops when no TTL within the schema's 300 s would do", () => {
    const problem = routeReadProblem(routeReadLoad(routes(1000, 10), { routeCacheTtlSec: 10 }, "ssm"));
    expect(problem).not.toMatch(/routeCacheTtlSec to at least/);
    expect(problem).toMatch(/set routeStore to "dynamodb"/);
  });
});

describe("concurrency headroom", () => {
  it("counts loops plus loops × concurrency at maxLoops", () => {
    const demand = concurrencyDemand([
      { queueName: "a", maxLoops: 10, concurrency: 4 },
      { queueName: "b", maxLoops: 5, concurrency: 1 },
    ]);
    expect(demand).toMatchObject({ loops: 15, handlers: 45, total: 60 });
    expect(demand.largest.map((r) => r.queueName)).toEqual(["a", "b"]);
  });

  it("warns above 80% of the account and flags what exceeds it", () => {
    expect(concurrencyHeadroom(routes(1, 100, 4), 1000)).toMatchObject({
      headroom: 500,
      warn: false,
      exceeds: false,
    });
    expect(concurrencyHeadroom(routes(1, 170, 4), 1000)).toMatchObject({
      headroom: 150,
      warn: true,
      exceeds: false,
    });
    expect(concurrencyHeadroom(routes(1, 201, 4), 1000)).toMatchObject({
      headroom: -5,
      warn: true,
      exceeds: true,
    });
    expect(concurrencyHeadroom(routes(1, 201, 4), undefined)).toMatchObject({
      headroom: undefined,
      exceeds: false,
    });
  });
});

describe("checkDeployCapacity", () => {
  it("refuses a registry whose worst case cannot fit the account, naming the largest routes", () => {
    const error = (() => {
      try {
        checkDeployCapacity(routes(3, 100, 4), {
          poller: { routeCacheTtlSec: 10 },
          routeStore: "dynamodb",
          accountConcurrency: 1000,
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CapacityError);
    expect((error as Error).message).toBe(
      "the registry does not fit: loops and handlers at maxLoops would need 1,500 concurrent executions " +
        "(300 loops + 1,200 handler invocations), above the account's Lambda concurrency of 1,000; lower maxLoops " +
        "or concurrency on the largest routes (q0 100 × (1 + 4) = 500; q1 100 × (1 + 4) = 500; q2 100 × (1 + 4) = 500), " +
        "or ask AWS to raise the account's concurrency quota",
    );
  });

  it("names both problems at once, and checks concurrency only when the limit is known", () => {
    const check = (accountConcurrency?: number, checkRouteReads?: boolean) => () =>
      checkDeployCapacity(routes(50, 20, 1), {
        poller: { routeCacheTtlSec: 10 },
        routeStore: "ssm",
        accountConcurrency,
        ...(checkRouteReads === undefined ? {} : { checkRouteReads }),
      });
    expect(check(1000)).toThrow(/route reads at maxLoops.*; loops and handlers at maxLoops/);
    expect(check(undefined)).toThrow(/^the registry does not fit: route reads at maxLoops[^;]*;[^;]*$/);
    expect(check(undefined, false)).not.toThrow();
    expect(check(5000, false)).not.toThrow();
  });
});
