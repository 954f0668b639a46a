import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { HandlerInvocationError, isRetryable, TransientError } from "../../errors.js";
import { createLambdaFunctionInvoker } from "./functionInvoker.js";

const lambda = new LambdaClient({ region: "us-east-1" });
const mock = mockClient(lambda);
const invoker = createLambdaFunctionInvoker(lambda);
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;

afterEach(() => mock.reset());

// Error paths only: the happy paths (sync invoke, the loop starter's async invoke) run against the
// local Lambda service in test/integration/lambdaAdapters.test.ts.

describe("createLambdaFunctionInvoker", () => {
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
