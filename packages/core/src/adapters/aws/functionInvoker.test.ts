import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { HandlerInvocationError, isRetryable, TransientError } from "../../errors.js";
import { createLambdaFunctionInvoker } from "./functionInvoker.js";
import { createLambdaLoopStarter } from "./loopStarter.js";

const lambda = new LambdaClient({ region: "us-east-1" });
const mock = mockClient(lambda);
const invoker = createLambdaFunctionInvoker(lambda);
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;

afterEach(() => mock.reset());

describe("createLambdaFunctionInvoker", () => {
  it("invokes synchronously and parses the JSON payload", async () => {
    mock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes({ batchItemFailures: [] }) });
    expect(await invoker.invoke("record", { Records: [] })).toEqual({ payload: { batchItemFailures: [] } });
    const input = mock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.InvocationType).toBe("RequestResponse");
    expect(JSON.parse(Buffer.from(input?.Payload as Uint8Array).toString())).toEqual({ Records: [] });
  });

  it("surfaces FunctionError", async () => {
    mock
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, FunctionError: "Unhandled", Payload: bytes({ errorMessage: "x" }) });
    expect(await invoker.invoke("record", {})).toEqual({
      functionError: "Unhandled",
      payload: { errorMessage: "x" },
    });
  });

  it("turns throttling into a retryable TransientError and other failures into HandlerInvocationError", async () => {
    mock.on(InvokeCommand).rejectsOnce(
      Object.assign(new Error("Rate Exceeded."), {
        name: "TooManyRequestsException",
        $metadata: { httpStatusCode: 429 },
      }),
    );
    const throttled = await invoker.invoke("record", {}).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TransientError);
    expect(isRetryable(throttled)).toBe(true);
    mock.on(InvokeCommand).rejectsOnce(
      Object.assign(new Error("Function not found"), {
        name: "ResourceNotFoundException",
        $metadata: { httpStatusCode: 404 },
      }),
    );
    const missing = await invoker.invoke("nope", {}).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(HandlerInvocationError);
    expect(isRetryable(missing)).toBe(false);
  });
});

describe("createLambdaLoopStarter", () => {
  it("invokes the poller asynchronously with exactly the loop event", async () => {
    mock.on(InvokeCommand).resolves({ StatusCode: 202 });
    await createLambdaLoopStarter(lambda, "poller").start({ queueUrl: "u", token: "t", loopId: "l" });
    const input = mock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ FunctionName: "poller", InvocationType: "Event" });
    expect(JSON.parse(Buffer.from(input?.Payload as Uint8Array).toString())).toEqual({
      queueUrl: "u",
      token: "t",
      loopId: "l",
    });
  });
});
