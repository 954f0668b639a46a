import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { FunctionInvoker, InvokeResult } from "../../dispatch/ports.js";
import { classifyInvokeError } from "./invokeErrors.js";

function readPayload(bytes: Uint8Array | undefined): Pick<InvokeResult, "payload" | "invalidJson"> {
  if (bytes === undefined || bytes.length === 0) return {};
  const text = Buffer.from(bytes).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return { payload: JSON.parse(text) };
  } catch {
    return { payload: text, invalidJson: true };
  }
}

/**
 * Invokes handler functions through the Lambda API. A function error comes back as
 * `functionError` with the error payload; an `Invoke` that failed is classified by
 * {@link classifyInvokeError} into "did not run" and "may have run".
 */
export function createLambdaFunctionInvoker(lambda: LambdaClient): FunctionInvoker {
  return {
    async invoke(functionName, payloadJson) {
      try {
        const out = await lambda.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: "RequestResponse",
            Payload: Buffer.from(payloadJson),
          }),
        );
        const result: InvokeResult = readPayload(out.Payload);
        if (out.FunctionError) result.functionError = out.FunctionError;
        return result;
      } catch (error) {
        throw classifyInvokeError(functionName, error);
      }
    },
    async probe(functionName) {
      try {
        await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: "DryRun" }));
      } catch (error) {
        throw classifyInvokeError(functionName, error);
      }
    },
  };
}
