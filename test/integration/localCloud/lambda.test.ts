import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import {
  registerBasic as basic,
  cloud,
  decode,
  fixtures,
  invoke,
  lambda,
  logLines,
  useLambdaCloud,
  waitForStats,
} from "./lambda.testkit.js";

// The local Lambda's API: synchronous invocations, environment failures and redeploys, and the
// read calls. Timeouts, concurrency, async invocations and the recursion guard: lambdaLimits.test.ts.

useLambdaCloud(() =>
  Promise.all([
    basic("echo", "echo", { environment: { GREETING: "hello" } }),
    basic("failing", "fail"),
    basic("callback", "callbackStyle"),
    basic("slow", "sleep", { timeoutSec: 1 }),
    basic("single", "sleep", { reservedConcurrency: 1 }),
    basic("warm", "echo"),
  ]),
);

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
