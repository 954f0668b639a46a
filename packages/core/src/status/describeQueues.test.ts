import { parseRoute, type Route } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import type { TokenRecord } from "../lease/token.js";
import { InvalidStoredRouteError } from "../routing/routeStoreErrors.js";
import { describeQueue, describeQueues, type StatusDeps } from "./describeQueues.js";
import type { QueueAlarm, QueueAttributes } from "./ports.js";

const base = "http://127.0.0.1:4566/000000000000";
const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

function route(queueName: string): Route {
  return parseRoute({ queueName, queueUrl: `${base}/${queueName}`, functionName: "record" });
}

function deps(options: {
  routes?: Route[];
  queues?: Record<string, Partial<QueueAttributes>>;
  tokens?: TokenRecord[];
  alarms?: QueueAlarm[] | Error;
  listError?: InvalidStoredRouteError;
}): StatusDeps & { warnings: string[] } {
  const warnings: string[] = [];
  const queues = options.queues ?? {};
  return {
    warnings,
    routes: {
      get: async (name) => options.routes?.find((r) => r.queueName === name),
      list: async () => {
        if (options.listError) throw options.listError;
        return options.routes ?? [];
      },
    },
    leases: { listByQueue: async (url) => (options.tokens ?? []).filter((t) => t.queueUrl === url) },
    queues: {
      listQueueUrls: async () => Object.keys(queues).map((n) => `${base}/${n}`),
      queueUrl: async (name) => (name in queues ? `${base}/${name}` : undefined),
      attributes: async (url) => {
        const name = url.slice(url.lastIndexOf("/") + 1);
        const q = queues[name];
        return q && { arn: arn(name), visible: 0, inFlight: 0, delayed: 0, ...q };
      },
    },
    alarms: {
      queueAlarms: async (name) => {
        if (options.alarms instanceof Error) throw options.alarms;
        return (options.alarms ?? []).filter((a) => name === undefined || a.queueName === name);
      },
    },
    clock: { now: () => 10_000 },
    logger: { warn: (message) => void warnings.push(message) },
  };
}

describe("describeQueues", () => {
  it("lists routed and unrouted queues, shows DLQs only under their source queue", async () => {
    const report = await describeQueues(
      deps({
        routes: [route("orders")],
        queues: {
          orders: { visible: 5, inFlight: 2, delayed: 1, deadLetterTargetArn: arn("orders-dlq") },
          "orders-dlq": { visible: 3 },
          loose: { visible: 7 },
        },
        tokens: [
          {
            queueUrl: `${base}/orders`,
            token: "t2",
            loopId: "l2",
            createdAt: 1_000,
            lastUsed: 9_000,
            startedAt: 1_000,
          },
          { queueUrl: `${base}/orders`, token: "t1", loopId: "l1", createdAt: 4_000 },
        ],
        alarms: [
          { name: "orders-tier-1", state: "ALARM", queueName: "orders" },
          { name: "other", state: "OK", queueName: "elsewhere" },
        ],
      }),
    );
    expect(report.queues.map((q) => q.name)).toEqual(["loose", "orders"]);
    const orders = report.queues[1];
    expect(orders).toMatchObject({
      url: `${base}/orders`,
      route: route("orders"),
      visible: 5,
      inFlight: 2,
      delayed: 1,
      dlq: { name: "orders-dlq", url: `${base}/orders-dlq`, visible: 3 },
      alarms: [{ name: "orders-tier-1", state: "ALARM" }],
    });
    expect(orders?.loops).toEqual([
      {
        token: "t1",
        loopId: "l1",
        lastUsed: null,
        heartbeatAgeMs: 6_000,
        startedAt: null,
        blockedReason: null,
      },
      {
        token: "t2",
        loopId: "l2",
        lastUsed: 9_000,
        heartbeatAgeMs: 1_000,
        startedAt: 1_000,
        blockedReason: null,
      },
    ]);
    expect(report.queues[0]).toMatchObject({ name: "loose", route: null, loops: [], visible: 7, dlq: null });
  });

  it("shows a route whose queue is gone with null counters", async () => {
    const report = await describeQueues(deps({ routes: [route("ghost")] }));
    expect(report.queues).toEqual([
      expect.objectContaining({ name: "ghost", visible: null, inFlight: null, dlq: null, loops: [] }),
    ]);
  });

  it("still reports queues when alarms cannot be read, and warns", async () => {
    const d = deps({ queues: { a: {} }, alarms: new Error("no monitoring") });
    const report = await describeQueues(d);
    expect(report.queues.map((q) => q.alarms)).toEqual([[]]);
    expect(d.warnings.join()).toMatch(/could not read alarms/);
  });

  it("shows the queues of valid routes when one stored route is corrupt, and warns", async () => {
    const error = new InvalidStoredRouteError(
      [{ key: "/a/b/routes/bad", message: "not JSON" }],
      [route("good")],
    );
    const d = deps({ queues: { good: {}, bad: {} }, listError: error });
    const report = await describeQueues(d);
    expect(report.queues.map((q) => [q.name, q.route?.queueName ?? null])).toEqual([
      ["bad", null],
      ["good", "good"],
    ]);
    expect(d.warnings.join()).toMatch(/\/a\/b\/routes\/bad/);
  });
});

describe("describeQueue", () => {
  it("describes one queue in the same shape", async () => {
    const report = await describeQueue(
      deps({ routes: [route("orders")], queues: { orders: { visible: 4 } } }),
      "orders",
    );
    expect(report.queues).toHaveLength(1);
    expect(report.queues[0]).toMatchObject({ name: "orders", visible: 4, route: route("orders") });
  });

  it("returns no queue for a name that is neither routed nor exists", async () => {
    expect(await describeQueue(deps({}), "nope")).toEqual({ queues: [] });
  });
});

describe("describeQueues: concurrency headroom", () => {
  const routed = (queueName: string, maxLoops: number, concurrency: number) =>
    parseRoute({
      queueName,
      queueUrl: `${base}/${queueName}`,
      functionName: "record",
      maxLoops,
      concurrency,
    });

  it("adds loops and handlers at maxLoops against the account's concurrency", async () => {
    const d = deps({
      routes: [routed("orders", 10, 4), routed("payments", 5, 1)],
      queues: { orders: {}, payments: {} },
      tokens: [{ queueUrl: `${base}/orders`, token: "t", loopId: "l", createdAt: 0, lastUsed: 9_000 }],
    });
    const report = await describeQueues({ ...d, account: { accountConcurrency: async () => 1000 } });
    expect(report.capacity).toEqual({
      accountConcurrency: 1000,
      loopsNow: 1,
      loopsAtMax: 15,
      handlersAtMax: 45,
      totalAtMax: 60,
      headroom: 940,
      warning: null,
    });
  });

  it("warns before the worst case exceeds the account, and says by how much once it does", async () => {
    const d = deps({ routes: [routed("orders", 20, 4)], queues: { orders: {} } });
    const near = await describeQueues({ ...d, account: { accountConcurrency: async () => 110 } });
    expect(near.capacity?.warning).toBe(
      "loops and handlers at maxLoops would take 100 of the account's 110 concurrent executions (91%); lower maxLoops or concurrency, or raise the account's quota, before they starve each other",
    );
    const over = await describeQueues({ ...d, account: { accountConcurrency: async () => 50 } });
    expect(over.capacity).toMatchObject({ headroom: -50 });
    expect(over.capacity?.warning).toMatch(
      /need 100 concurrent executions .* above the account's Lambda concurrency of 50/,
    );
  });

  it("shows the demand without headroom when the account cannot be read", async () => {
    const d = deps({ routes: [routed("orders", 2, 1)], queues: { orders: {} } });
    const report = await describeQueues({
      ...d,
      account: {
        accountConcurrency: async () => {
          throw new Error("AccessDeniedException");
        },
      },
    });
    expect(report.capacity).toMatchObject({
      accountConcurrency: null,
      totalAtMax: 4,
      headroom: null,
      warning: null,
    });
    expect(d.warnings).toEqual([expect.stringMatching(/could not read the account's Lambda concurrency/)]);
  });
});

describe("describeQueues: a claimed loop that has not heartbeat yet", () => {
  it("shows it as never heartbeat, aged from its claim, not with the previous loop's heartbeat", async () => {
    const report = await describeQueues(
      deps({
        routes: [route("orders")],
        queues: { orders: {} },
        tokens: [
          // Claimed at 8 s; the old loop's last heartbeat (2 s) is still in lastUsed.
          {
            queueUrl: `${base}/orders`,
            token: "t",
            loopId: "new",
            createdAt: 0,
            startedAt: 8_000,
            lastUsed: 2_000,
          },
        ],
      }),
    );
    expect(report.queues[0]?.loops).toEqual([
      {
        token: "t",
        loopId: "new",
        lastUsed: null,
        heartbeatAgeMs: 2_000,
        startedAt: 8_000,
        blockedReason: null,
      },
    ]);
  });
});
