import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import {
  registerBasic as basic,
  clientConfig,
  cloud,
  decode,
  fixtures,
  invoke,
  lambdaNoRetry,
  useLambdaCloud,
  waitForStats,
} from "./lambda.testkit.js";

// The limits the local Lambda enforces as Lambda does: timeouts, reserved concurrency, async
// invocations (retries, queueing, payload size) and the recursion guard.

useLambdaCloud(() =>
  Promise.all([
    basic("echo", "echo", { environment: { GREETING: "hello" } }),
    basic("slow", "sleep", { timeoutSec: 1 }),
    basic("single", "sleep", { reservedConcurrency: 1 }),
    basic("warm", "echo"),
    cloud.lambda.register({
      name: "loop-terminate",
      handler: `${fixtures}/selfInvoke.handler`,
      timeoutSec: 5,
      memoryMb: 256,
    }),
    cloud.lambda.register({
      name: "loop-allow",
      handler: `${fixtures}/selfInvoke.handler`,
      timeoutSec: 5,
      memoryMb: 256,
      recursiveLoop: "Allow",
    }),
  ]),
);

describe("timeouts and concurrency", () => {
  it("enforces the timeout: Sandbox.Timedout, the environment is replaced and the next invocation works", async () => {
    const out = await invoke("slow", { ms: 10_000 });
    expect(out.FunctionError).toBe("Unhandled");
    const body = decode(out);
    expect(body["errorType"]).toBe("Sandbox.Timedout");
    expect(body["errorMessage"]).toContain("Task timed out after 1.00 seconds");
    await waitForStats("slow", (s) => s.environmentsAlive === 0);

    const next = await invoke("slow", { ms: 10 });
    expect(next.FunctionError).toBeUndefined();
    expect(decode(next)).toMatchObject({ slept: 10, invocationsHere: 1 });
    const stats = cloud.lambda.stats("slow");
    expect(stats.timeouts).toBe(1);
    expect(stats.coldStarts).toBe(2);
  });

  it("throttles beyond reserved concurrency with TooManyRequestsException (429)", async () => {
    const results = await Promise.allSettled([
      lambdaNoRetry.send(
        new InvokeCommand({ FunctionName: "single", Payload: JSON.stringify({ ms: 1500 }) }),
      ),
      lambdaNoRetry.send(
        new InvokeCommand({ FunctionName: "single", Payload: JSON.stringify({ ms: 1500 }) }),
      ),
    ]);
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r) => r.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toMatchObject({
      name: "TooManyRequestsException",
      Reason: "ReservedFunctionConcurrentInvocationLimitExceeded",
      $metadata: { httpStatusCode: 429 },
    });
    expect(cloud.lambda.stats("single").throttles).toBe(1);
  });

  it("killEnvironments ends warm environments; the next invocation starts a new one", async () => {
    const before = decode(await invoke("warm", {}));
    expect(await cloud.lambda.killEnvironments("warm")).toBeGreaterThan(0);
    expect(cloud.lambda.stats("warm").environmentsAlive).toBe(0);
    const after = decode(await invoke("warm", {}));
    expect(after["environmentId"]).not.toBe(before["environmentId"]);
    expect(after["invocationsHere"]).toBe(1);
  });
});

describe("Invoke Event", () => {
  it("answers 202 and retries a failing event twice before dropping it", async () => {
    await cloud.lambda.register({
      name: "async-failing",
      handler: `${fixtures}/basic.fail`,
      timeoutSec: 3,
      memoryMb: 128,
    });
    const out = await invoke("async-failing", { reason: "nope" }, { InvocationType: "Event" });
    expect(out.StatusCode).toBe(202);
    const stats = await waitForStats("async-failing", (s) => s.asyncDropped === 1);
    expect(stats.invocations).toBe(3);
    expect(stats.errors).toBe(3);
    expect(stats.asyncRetries).toBe(2);
    expect(stats.asyncPending).toBe(0);
  });

  it("runs a successful event once", async () => {
    await cloud.lambda.register({
      name: "async-ok",
      handler: `${fixtures}/basic.echo`,
      timeoutSec: 3,
      memoryMb: 128,
    });
    const out = await invoke("async-ok", { hi: 1 }, { InvocationType: "Event" });
    expect(out.StatusCode).toBe(202);
    const stats = await waitForStats("async-ok", (s) => s.asyncPending === 0 && s.invocations === 1);
    expect(stats.errors).toBe(0);
    expect(stats.asyncRetries).toBe(0);
  });

  it("queues throttled events and runs them once concurrency frees up", async () => {
    await cloud.lambda.register({
      name: "async-single",
      handler: `${fixtures}/basic.sleep`,
      timeoutSec: 3,
      memoryMb: 128,
      reservedConcurrency: 1,
    });
    for (let i = 0; i < 3; i += 1) {
      const out = await invoke("async-single", { ms: 200 }, { InvocationType: "Event" });
      expect(out.StatusCode).toBe(202);
    }
    const stats = await waitForStats("async-single", (s) => s.invocations === 3 && s.asyncPending === 0);
    expect(stats.throttles).toBeGreaterThan(0);
    expect(stats.errors).toBe(0);
    expect(stats.asyncDropped).toBe(0);
  });

  it("refuses an async payload over 1 MB with RequestEntityTooLargeException (413)", async () => {
    const big = { data: "x".repeat(1024 * 1024 + 10) };
    const error = await invoke("echo", big, { InvocationType: "Event" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "RequestEntityTooLargeException",
      $metadata: { httpStatusCode: 413 },
    });
  });
});

describe("recursion guard", () => {
  it("stops a self-invoking chain at the 17th invocation unless RecursiveLoop is Allow", async () => {
    const out = await invoke("loop-terminate", { remaining: 30 }, { InvocationType: "Event" });
    expect(out.StatusCode).toBe(202);
    const stats = await waitForStats("loop-terminate", (s) => s.recursionStops === 1 && s.asyncPending === 0);
    expect(stats.invocations).toBe(16);
    expect(stats.errors).toBe(0);
  });

  it("lets the chain continue past 16 invocations with RecursiveLoop Allow", async () => {
    const out = await invoke("loop-allow", { remaining: 24 }, { InvocationType: "Event" });
    expect(out.StatusCode).toBe(202);
    const stats = await waitForStats("loop-allow", (s) => s.invocations === 25 && s.asyncPending === 0);
    expect(stats.recursionStops).toBe(0);
    expect(stats.errors).toBe(0);
  });

  it("answers a synchronous invocation past the limit with RecursiveInvocationException", async () => {
    // The 17th link of a chain, as a handler's SDK would send it from _X_AMZN_TRACE_ID.
    const first = decode(await invoke("echo", {})) as { env: { _X_AMZN_TRACE_ID: string } };
    const hash = /Lineage=1:([0-9a-f]{8}):1/.exec(first.env._X_AMZN_TRACE_ID)?.[1];
    expect(hash).toBeDefined();
    const chained = new LambdaClient(clientConfig(cloud.endpoint));
    chained.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        request.headers["X-Amzn-Trace-Id"] =
          `Root=1-00000000-000000000000000000000000;Sampled=0;Lineage=1:${hash}:16`;
        return next(args);
      },
      { step: "build" },
    );
    try {
      const error = await chained
        .send(new InvokeCommand({ FunctionName: "echo", Payload: "{}" }))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: "RecursiveInvocationException",
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      chained.destroy();
    }
  });
});
