import { defineDispatcher, parseRoute, type Route } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { routeEditRefusals } from "./routeEditRules.js";

const registry = defineDispatcher({
  app: "shop",
  functions: { record: { handler: "src/record.handler", timeoutSec: 10 } },
  routes: [{ queue: { name: "orders" }, function: "record", maxLoops: 4 }],
  routableQueues: ["reports-*"],
  limits: { maxLoopsPerRoute: 10, maxLoopsTotal: 60 },
});

const aws = { kind: "aws", stage: "prod" } as const;
const local = {
  kind: "local",
  endpoint: "http://127.0.0.1:4566",
  region: "us-east-1",
  stage: "local",
} as const;

function route(queueName: string, fields: Partial<Route> = {}, url?: string): Route {
  return parseRoute({
    queueName,
    queueUrl: url ?? `https://sqs.us-east-1.amazonaws.com/123456789012/${queueName}`,
    functionName: "shop-prod-record",
    ...fields,
  });
}

describe("routeEditRefusals", () => {
  it("refuses a forward target the poller's role may not send to, on AWS and locally, and accepts routable ones", () => {
    for (const target of [aws, local]) {
      const url = target.kind === "local" ? "http://127.0.0.1:4566/000000000000/orders" : undefined;
      const refusals = (onNoMatch: string) =>
        routeEditRefusals({
          registry,
          target,
          route: route("orders", { filters: [{ body: { type: ["order"] } }], onNoMatch }, url),
          stored: [],
          region: "us-east-1",
        });
      expect(refusals("forward:audit")).toEqual([
        "--on-no-match: the poller may not send to queue 'audit' (its role covers the registry's queues, its forward targets and routableQueues): add 'audit' to routableQueues in dispatcher.config.ts and deploy, then set the route",
      ]);
      expect(refusals("forward:reports-parked")).toEqual([]);
    }
  });

  it("accepts an edit within the limits, to a queue the poller may read", () => {
    expect(
      routeEditRefusals({
        registry,
        target: aws,
        route: route("reports-daily", { maxLoops: 10 }),
        stored: [route("orders", { maxLoops: 4 })],
        region: "us-east-1",
      }),
    ).toEqual([]);
  });

  it("refuses maxLoops above limits.maxLoopsPerRoute", () => {
    expect(
      routeEditRefusals({
        registry,
        target: aws,
        route: route("orders", { maxLoops: 11 }),
        stored: [],
        region: "us-east-1",
      }),
    ).toEqual([
      "--max-loops: maxLoops (11) of queue 'orders' exceeds limits.maxLoopsPerRoute (10); lower maxLoops or raise limits.maxLoopsPerRoute in dispatcher.config.ts",
    ]);
  });

  it("refuses an edit that takes the stored routes past limits.maxLoopsTotal, naming them, and counts the edited route once", () => {
    const stored = [route("orders", { maxLoops: 8 }), route("reports-a", { maxLoops: 5 })];
    expect(
      routeEditRefusals({
        registry,
        target: aws,
        route: route("orders", { maxLoops: 10 }),
        stored,
        region: "us-east-1",
      }),
    ).toEqual([]); // 10×4 + 5×4 = 60: at the limit, and the old orders route (8) is not counted twice
    expect(
      routeEditRefusals({
        registry,
        target: aws,
        route: route("reports-b", { maxLoops: 1, concurrency: 1 }),
        stored: [...stored, route("reports-c", { maxLoops: 10, concurrency: 2 })],
        region: "us-east-1",
      }),
    ).toEqual([
      "--max-loops: the routes' maxLoops × concurrency add up to 73 (orders 8×4, reports-a 5×4, reports-c 10×2, reports-b 1×1), above limits.maxLoopsTotal (60); lower maxLoops or concurrency, or raise limits.maxLoopsTotal within the account's Lambda concurrency",
    ]);
  });

  it("refuses, on AWS, a queue outside the registry and routableQueues, saying how to allow it", () => {
    expect(
      routeEditRefusals({
        registry,
        target: aws,
        route: route("billing-events"),
        stored: [],
        region: "us-east-1",
      }),
    ).toEqual([
      "<queue>: the poller may not read queue 'billing-events' on AWS (its role covers the registry's queues and routableQueues): add 'billing-events' (or a prefix such as 'billing-*') to routableQueues in dispatcher.config.ts and deploy, then set the route",
    ]);
  });

  it("holds the queue URL to the stack's partition on AWS and to the edge locally", () => {
    expect(
      routeEditRefusals({
        registry,
        target: aws,
        route: route("orders", {}, "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders"),
        stored: [],
        region: "us-east-1",
      }),
    ).toEqual([
      "<queue>: the queue's URL 'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders' must be an SQS endpoint of this stack's partition (https://sqs.<region>.amazonaws.com/...)",
    ]);
    expect(
      routeEditRefusals({
        registry,
        target: local,
        route: route("anything", {}, "http://127.0.0.1:4566/000000000000/anything"),
        stored: [],
      }),
    ).toEqual([]);
  });
});
