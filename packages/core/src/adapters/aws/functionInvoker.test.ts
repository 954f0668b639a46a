import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { AmbiguousInvokeError, HandlerNotRunError, NotRunReason } from "../../errors.js";
import { createLambdaFunctionInvoker } from "./functionInvoker.js";

const lambda = new LambdaClient({ region: "us-east-1" });
const mock = mockClient(lambda);
const invoker = createLambdaFunctionInvoker(lambda);
const bytes = (text: string) => new TextEncoder().encode(text) as never;

afterEach(() => mock.reset());

// Error paths only: the happy paths (sync invoke, DryRun, the loop starter's async invoke) run against
// the local Lambda service in test/integration/platform/lambdaAdapters.test.ts.

function sdkError(name: string, status: number | undefined, extra: object = {}): Error {
  return Object.assign(new Error(name), {
    name,
    ...(status !== undefined ? { $metadata: { httpStatusCode: status } } : {}),
    ...extra,
  });
}

describe("createLambdaFunctionInvoker", () => {
  it("surfaces FunctionError with its payload", async () => {
    mock
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, FunctionError: "Unhandled", Payload: bytes('{"errorMessage":"x"}') });
    expect(await invoker.invoke("record", "{}")).toEqual({
      functionError: "Unhandled",
      payload: { errorMessage: "x" },
    });
  });

  it("marks a response that is not JSON, so the batch fails as on Lambda", async () => {
    mock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes("ok, done") });
    expect(await invoker.invoke("record", "{}")).toEqual({ payload: "ok, done", invalidJson: true });
  });

  it("reads an empty response as no payload", async () => {
    mock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes("") });
    expect(await invoker.invoke("record", "{}")).toEqual({});
  });

  it.each([
    ["TooManyRequestsException", 429, NotRunReason.Throttled],
    ["EC2ThrottledException", 502, NotRunReason.Throttled],
    ["ENILimitReachedException", 502, NotRunReason.Throttled],
    ["ResourceNotFoundException", 404, NotRunReason.NotFound],
    ["AccessDeniedException", 403, NotRunReason.Denied],
    ["ResourceNotReadyException", 502, NotRunReason.NotReady],
    ["ResourceConflictException", 409, NotRunReason.NotReady],
    ["RequestTooLargeException", 413, NotRunReason.TooLarge],
    ["KMSAccessDeniedException", 502, NotRunReason.Kms],
    ["InvalidParameterValueException", 400, NotRunReason.Misconfigured],
    ["EFSMountFailureException", 403, NotRunReason.Misconfigured],
    ["SomethingNew", 429, NotRunReason.Throttled],
  ])("reads %s (%s) as a refusal before the handler ran: %s", async (name, status, reason) => {
    mock.on(InvokeCommand).rejects(sdkError(name, status));
    const error = await invoker.invoke("record", "{}").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerNotRunError);
    expect(error).toMatchObject({ reason, functionName: "record" });
  });

  it("reads a refused connection as not run (nothing was sent)", async () => {
    mock.on(InvokeCommand).rejects(sdkError("Error", undefined, { code: "ECONNREFUSED" }));
    expect(await invoker.invoke("record", "{}").catch((e: unknown) => e)).toMatchObject({
      name: "HandlerNotRunError",
      reason: NotRunReason.Unreachable,
    });
  });

  it.each([
    [
      "the SDK's connection timeout",
      sdkError("TimeoutError", undefined, {
        message:
          "@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 3000 ms.",
      }),
    ],
    ["a TCP connect timeout", sdkError("TimeoutError", undefined, { code: "ETIMEDOUT", syscall: "connect" })],
  ])("reads %s as not run: the request was never sent", async (_what, error) => {
    mock.on(InvokeCommand).rejects(error);
    expect(await invoker.invoke("record", "{}").catch((e: unknown) => e)).toMatchObject({
      name: "HandlerNotRunError",
      reason: NotRunReason.Unreachable,
    });
  });

  it.each([
    [
      "the SDK's request timeout",
      sdkError("TimeoutError", undefined, {
        code: "ETIMEDOUT",
        message:
          "@smithy/node-http-handler - [ERROR] a request has exceeded the configured 15000 ms requestTimeout.",
      }),
    ],
    ["a connection reset", sdkError("Error", undefined, { code: "ECONNRESET" })],
    ["a request timeout", sdkError("TimeoutError", undefined)],
    ["a Lambda service error", sdkError("ServiceException", 500)],
  ])("reads %s as ambiguous: the handler may have run", async (_what, error) => {
    mock.on(InvokeCommand).rejects(error);
    expect(await invoker.invoke("record", "{}").catch((e: unknown) => e)).toBeInstanceOf(
      AmbiguousInvokeError,
    );
  });

  it("probes with DryRun and classifies its refusal", async () => {
    mock.on(InvokeCommand, { InvocationType: "DryRun" }).rejects(sdkError("ResourceNotFoundException", 404));
    expect(await invoker.probe("gone").catch((e: unknown) => e)).toMatchObject({
      reason: NotRunReason.NotFound,
    });
  });
});

describe("createLambdaFunctionInvoker against a port nothing listens on", () => {
  it("reads the real SDK's refused connection as not run", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const real = new LambdaClient({
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
    const error = await createLambdaFunctionInvoker(real)
      .invoke("record", "{}")
      .catch((e: unknown) => e);
    real.destroy();
    expect(error).toMatchObject({ name: "HandlerNotRunError", reason: NotRunReason.Unreachable });
  });
});
