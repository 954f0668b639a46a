import { CapacityError, defineDispatcher, settingsFor } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import {
  AccountConcurrencyVariableError,
  accountConcurrencyFromEnv,
  checkStackCapacity,
} from "./deployCapacity.js";

const handler = "packages/functions/src/handlers/noop.handler";
const registryOf = (queues: number, maxLoops: number, routeStore: "ssm" | "dynamodb" = "ssm") =>
  defineDispatcher({
    app: "fleet",
    functions: { noop: { handler, timeoutSec: 10 } },
    routes: Array.from({ length: queues }, (_, i) => ({
      queue: { name: `q${i}` },
      function: "noop",
      maxLoops,
      concurrency: 1,
    })),
    routeStore: { default: routeStore, stages: {} },
    // The fleet is large on purpose: these tests are about the capacity checks, not the registry's limits.
    limits: { maxLoopsTotal: 10_000 },
  });
const check = (registry: ReturnType<typeof registryOf>, accountConcurrency?: number) => () =>
  checkStackCapacity(registry, settingsFor(registry, { kind: "aws", stage: "prod" }), accountConcurrency);

describe("the stack's capacity check", () => {
  it("accepts a registry within SSM's route-read throughput and the account's concurrency", () => {
    // 10 queues × 10 loops, TTL 10 s: 20 reads/s after an edit; 200 executions of 1,000.
    expect(check(registryOf(10, 10), 1000)).not.toThrow();
  });

  it("refuses route reads above SSM's 40/s with the numbers, and accepts them on DynamoDB", () => {
    expect(check(registryOf(30, 10))).toThrow(CapacityError);
    expect(check(registryOf(30, 10))).toThrow(
      /2 × 300 loops \/ routeCacheTtlSec 10 s = 60 reads\/s .* above SSM Parameter Store's standard throughput of 40 reads\/s; raise poller.routeCacheTtlSec to at least 15/,
    );
    expect(check(registryOf(30, 10, "dynamodb"))).not.toThrow();
  });

  it("refuses loops and handlers above a known account concurrency, and skips that check when unknown", () => {
    expect(check(registryOf(60, 10, "dynamodb"), 1000)).toThrow(
      /need 1,200 concurrent executions \(600 loops \+ 600 handler invocations\), above the account's Lambda concurrency of 1,000/,
    );
    expect(check(registryOf(60, 10, "dynamodb"))).not.toThrow();
  });

  it("reads DISPATCHER_ACCOUNT_CONCURRENCY, refusing anything but a positive whole number", () => {
    expect(accountConcurrencyFromEnv({})).toBeUndefined();
    expect(accountConcurrencyFromEnv({ DISPATCHER_ACCOUNT_CONCURRENCY: "3000" })).toBe(3000);
    expect(() => accountConcurrencyFromEnv({ DISPATCHER_ACCOUNT_CONCURRENCY: "lots" })).toThrow(
      AccountConcurrencyVariableError,
    );
  });
});
