import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { FunctionInvoker } from "../../dispatch/ports.js";
import { HandlerInvocationError, isRetryable, TransientError } from "../../errors.js";

function parsePayload(bytes: Uint8Array | undefined): unknown {
  if (bytes === undefined || bytes.length === 0) return undefined;
  const text = Buffer.from(bytes).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: Lambda passes such a response through; it cannot carry batchItemFailures.
    return text;
  }
}

/**
 * Invokes a handler function synchronously (`RequestResponse`). A function error
 * comes back as `functionError` with the error payload; a throttle or 5xx becomes
 * a TransientError (the poller may retry); any other invoke failure (missing
 * function, payload too large) a HandlerInvocationError.
 */
export function createLambdaFunctionInvoker(lambda: LambdaClient): FunctionInvoker {
  return {
    async invoke(functionName, payload) {
      try {
        const out = await lambda.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: "RequestResponse",
            Payload: Buffer.from(JSON.stringify(payload)),
          }),
        );
        const result: { functionError?: string; payload?: unknown } = { payload: parsePayload(out.Payload) };
        if (out.FunctionError) result.functionError = out.FunctionError;
        return result;
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        if (isRetryable(error)) {
          throw new TransientError(
            `invoke ${functionName}: ${e.name}: ${e.message}`,
            { functionName },
            { cause: error },
          );
        }
        throw new HandlerInvocationError(
          `invoke ${functionName}: ${e.name}: ${e.message}`,
          { functionName },
          {
            cause: error,
          },
        );
      }
    },
  };
}
