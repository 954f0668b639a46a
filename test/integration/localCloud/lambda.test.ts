import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  ListFunctionsCommand,
} from "@aws-sdk/client-lambda";
import type { LogFields, Logger } from "@sqs-dispatcher/core";
import { type LocalCloud, type LocalFunctionStats, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

const fixtures = "test/fixtures/functions";
const clientConfig = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

let cloud: LocalCloud;
let lambda: LambdaClient;
/** No SDK retries: a 429 must reach the test as it left the service. */
let lambdaNoRetry: LambdaClient;
const logLines: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];
const capturingLogger: Logger = {
  debug: (message, fields) => logLines.push({ level: "debug", message, fields }),
  info: (message, fields) => logLines.push({ level: "info", message, fields }),
  warn: (message, fields) => logLines.push({ level: "warn", message, fields }),
  error: (message, fields) => logLines.push({ level: "error", message, fields }),
};

const decode = (out: InvokeCommandOutput) =>
  JSON.parse(new TextDecoder().decode(out.Payload)) as Record<string, unknown>;

async function invoke(functionName: string, payload: unknown, extra: Partial<InvokeCommand["input"]> = {}) {
  return lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(payload), ...extra }),
  );
}

/** Polls a function's stats until `done` holds; fails with the last stats at the deadline. */
async function waitForStats(
  name: string,
  done: (stats: LocalFunctionStats) => boolean,
  timeoutMs = 30_000,
): Promise<LocalFunctionStats> {
  return waitFor(
    () => {
      const stats = cloud.lambda.stats(name);
      if (!done(stats)) throw new Error(`stats ${JSON.stringify(stats)}`);
      return stats;
    },
    { timeoutMs, intervalMs: 50, description: `the condition on ${name}'s stats` },
  );
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, logger: capturingLogger });
  lambda = new LambdaClient(clientConfig(cloud.endpoint));
  lambdaNoRetry = new LambdaClient({ ...clientConfig(cloud.endpoint), maxAttempts: 1 });
  const basic = (name: string, exportName: string, extra: object = {}) =>
    cloud.lambda.register({
      name,
      handler: `${fixtures}/basic.${exportName}`,
      timeoutSec: 3,
      memoryMb: 256,
      ...extra,
    });
  await Promise.all([
    basic("echo", "echo", { environment: { GREETING: "hello" } }),
    basic("failing", "fail"),
    basic("callback", "callbackStyle"),
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
  ]);
});

afterAll(async () => {
  lambda?.destroy();
  lambdaNoRetry?.destroy();
  await cloud?.stop();
});

describe("Invoke RequestResponse", () => {
  it("returns the handler's result with the context and environment Lambda gives it", async () => {
    const out = await invoke("echo", { order: 42 }, { LogType: "Tail" });
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe("$LATEST");
    const body = decode(out) as {
      event: unknown;
      context: Record<string, unknown>;
      env: Record<string, string | undefined>;
    };
    expect(body.event).toEqual({ order: 42 });
    const arn = `arn:aws:lambda:us-east-1:${cloud.accountId}:function:echo`;
    expect(body.context).toMatchObject({
      awsRequestId: out.$metadata.requestId,
      functionName: "echo",
      functionVersion: "$LATEST",
      invokedFunctionArn: arn,
      memoryLimitInMB: "256",
      logGroupName: "/aws/lambda/echo",
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(body.context["logStreamName"]).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const remaining = body.context["remainingTimeInMillis"] as number;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(3000);
    expect(body.env).toMatchObject({
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ENDPOINT_URL: cloud.endpoint,
      // Each function calls with its own role's credentials (a temporary key, as Lambda gives).
      AWS_ACCESS_KEY_ID: expect.stringMatching(/^ASIA[A-Z0-9]{16}$/),
      AWS_LAMBDA_FUNCTION_NAME: "echo",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_LAMBDA_FUNCTION_TIMEOUT: "3",
      GREETING: "hello",
    });
    expect(body.env["LAMBDA_TASK_ROOT"]).toContain(".dispatcher");
    expect(body.env["_X_AMZN_TRACE_ID"]).toMatch(
      /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Lineage=1:[0-9a-f]{8}:1$/,
    );
    const tail = Buffer.from(out.LogResult ?? "", "base64").toString("utf8");
    expect(tail).toContain(`START RequestId: ${out.$metadata.requestId}`);
    expect(tail).toContain('echo invoked {"order":42}');
  });

  it("forwards the handler's console output to the service logger with function name and request id", async () => {
    const out = await invoke("echo", { note: "log me" });
    const line = logLines.find((l) => l.message.includes('"note":"log me"'));
    expect(line?.fields).toMatchObject({ functionName: "echo", requestId: out.$metadata.requestId });
  });

  it("reuses a warm environment: module state persists across invocations", async () => {
    const first = decode(await invoke("warm", {}));
    const second = decode(await invoke("warm", {}));
    expect(second["environmentId"]).toBe(first["environmentId"]);
    expect(second["invocationsHere"]).toBe((first["invocationsHere"] as number) + 1);
    expect(cloud.lambda.stats("warm").coldStarts).toBe(1);
  });

  it("reports a thrown error as an Unhandled function error with its type", async () => {
    const out = await invoke("failing", { reason: "out of stock" });
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe("Unhandled");
    const body = decode(out);
    expect(body["errorType"]).toBe("OrderRejectedError");
    expect(body["errorMessage"]).toBe("out of stock");
    expect(Array.isArray(body["trace"])).toBe(true);
  });

  it("supports callback-style handlers", async () => {
    const out = await invoke("callback", { value: 21 });
    expect(out.FunctionError).toBeUndefined();
    expect(decode(out)).toEqual({ doubled: 42 });
  });

  it("accepts the function's full ARN as FunctionName", async () => {
    const out = await invoke(`arn:aws:lambda:us-east-1:${cloud.accountId}:function:callback`, { value: 2 });
    expect(decode(out)).toEqual({ doubled: 4 });
  });

  it("DryRun answers 204 without running the function", async () => {
    const before = cloud.lambda.stats("echo").invocations;
    const out = await invoke("echo", {}, { InvocationType: "DryRun" });
    expect(out.StatusCode).toBe(204);
    expect(cloud.lambda.stats("echo").invocations).toBe(before);
  });

  it("unknown function → ResourceNotFoundException (404)", async () => {
    const error = await invoke("no-such-function", {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } });
    expect((error as Error).message).toContain("Function not found");
  });
});

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

describe("environment failures and redeploys", () => {
  it("a crash outside the handler fails the invocation and replaces the environment", async () => {
    await cloud.lambda.register({
      name: "crashing",
      handler: `${fixtures}/basic.crash`,
      timeoutSec: 3,
      memoryMb: 128,
    });
    const out = await invoke("crashing", {});
    expect(out.FunctionError).toBe("Unhandled");
    expect(decode(out)["errorMessage"]).toContain("uncaught in a timer");
    await waitForStats("crashing", (s) => s.environmentsAlive === 0);
    const echo = await invoke("echo", {});
    expect(echo.FunctionError).toBeUndefined();
  });

  it("an unhandled rejection ends the environment with Runtime.UnhandledPromiseRejection", async () => {
    await cloud.lambda.register({
      name: "rejecting",
      handler: `${fixtures}/basic.rejectLater`,
      timeoutSec: 3,
      memoryMb: 128,
    });
    const out = await invoke("rejecting", {});
    expect(out.FunctionError).toBe("Unhandled");
    expect(decode(out)).toMatchObject({
      errorType: "Runtime.UnhandledPromiseRejection",
      errorMessage: "Error: nobody caught me",
    });
    await waitForStats("rejecting", (s) => s.environmentsAlive === 0);
  });

  it("a handler the module does not export → Runtime.HandlerNotFound", async () => {
    await cloud.lambda.register({
      name: "misnamed",
      handler: `${fixtures}/basic.missing`,
      timeoutSec: 3,
      memoryMb: 128,
    });
    const out = await invoke("misnamed", {});
    expect(out.FunctionError).toBe("Unhandled");
    expect(decode(out)).toMatchObject({
      errorType: "Runtime.HandlerNotFound",
      errorMessage: `${fixtures}/basic.missing is undefined or not exported`,
    });
  });

  it("re-register replaces the configuration and retires warm environments", async () => {
    const def = { name: "redeployed", handler: `${fixtures}/basic.echo`, timeoutSec: 3, memoryMb: 128 };
    await cloud.lambda.register({ ...def, environment: { GREETING: "v1" } });
    const before = decode(await invoke("redeployed", {})) as {
      environmentId: string;
      env: { GREETING: string };
    };
    expect(before.env.GREETING).toBe("v1");
    await cloud.lambda.register({ ...def, environment: { GREETING: "v2" } });
    const after = decode(await invoke("redeployed", {})) as {
      environmentId: string;
      env: { GREETING: string };
    };
    expect(after.env.GREETING).toBe("v2");
    expect(after.environmentId).not.toBe(before.environmentId);
    expect(cloud.lambda.list().find((f) => f.name === "redeployed")?.environment).toEqual({ GREETING: "v2" });
  });

  it("unregister removes the function from the API", async () => {
    await cloud.lambda.register({
      name: "short-lived",
      handler: `${fixtures}/basic.echo`,
      timeoutSec: 3,
      memoryMb: 128,
    });
    await invoke("short-lived", {});
    await cloud.lambda.unregister("short-lived");
    const error = await invoke("short-lived", {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ResourceNotFoundException" });
    expect(cloud.lambda.stats("short-lived").environmentsAlive).toBe(0);
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

describe("ListFunctions, GetFunction", () => {
  it("pages through every function with Marker and MaxItems", async () => {
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await lambda.send(new ListFunctionsCommand({ MaxItems: 3, Marker: marker }));
      expect(page.Functions?.length).toBeLessThanOrEqual(3);
      names.push(...(page.Functions ?? []).map((f) => f.FunctionName ?? ""));
      marker = page.NextMarker;
      pages += 1;
    } while (marker);
    const expected = cloud.lambda
      .list()
      .map((f) => f.name)
      .sort();
    expect(names).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 3));
  });

  it("GetFunction describes the configuration, environment and reserved concurrency", async () => {
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: "echo" }));
    expect(fn.Configuration).toMatchObject({
      FunctionName: "echo",
      FunctionArn: `arn:aws:lambda:us-east-1:${cloud.accountId}:function:echo`,
      Runtime: "nodejs20.x",
      Handler: `${fixtures}/basic.echo`,
      Timeout: 3,
      MemorySize: 256,
      Environment: { Variables: { GREETING: "hello" } },
      State: "Active",
      Version: "$LATEST",
    });
    expect(fn.Concurrency).toBeUndefined();
    const single = await lambda.send(new GetFunctionCommand({ FunctionName: "single" }));
    expect(single.Concurrency?.ReservedConcurrentExecutions).toBe(1);
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "slow" }));
    expect(config).toMatchObject({ FunctionName: "slow", Timeout: 1, State: "Active" });
  });

  it("GetFunction of an unknown function → ResourceNotFoundException", async () => {
    const error = await lambda
      .send(new GetFunctionCommand({ FunctionName: "ghost" }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } });
  });
});
