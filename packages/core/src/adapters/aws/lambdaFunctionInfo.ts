import {
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  type GetFunctionConfigurationCommandOutput,
  type LambdaClient,
} from "@aws-sdk/client-lambda";
import { unqualifiedRef } from "@sqs-dispatcher/config";
import { FunctionInfoUnavailableError } from "../../functions/functionInfoErrors.js";
import type { FunctionInfoReader } from "../../functions/ports.js";

const notFoundNames = new Set(["ResourceNotFoundException"]);

/**
 * Reads a function's timeout, state and reserved concurrency with `GetFunctionConfiguration` (the
 * reference as given, qualifier included) and `GetFunctionConcurrency` (which takes no qualifier).
 * A missing function reads as undefined; a concurrency that cannot be read (another account's
 * function, no permission) is left unset rather than failing the read.
 */
export function createLambdaFunctionInfoReader(lambda: LambdaClient): FunctionInfoReader {
  return {
    async read(functionRef) {
      let config: GetFunctionConfigurationCommandOutput;
      try {
        config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionRef }));
      } catch (error) {
        const e = error as Error;
        if (notFoundNames.has(e.name)) return undefined;
        throw new FunctionInfoUnavailableError(functionRef, `${e.name}: ${e.message}`, { cause: error });
      }
      let reservedConcurrency: number | undefined;
      try {
        const concurrency = await lambda.send(
          new GetFunctionConcurrencyCommand({ FunctionName: unqualifiedRef(functionRef) }),
        );
        reservedConcurrency = concurrency.ReservedConcurrentExecutions;
      } catch (error) {
        if (notFoundNames.has((error as Error).name)) return undefined;
      }
      return {
        arn: config.FunctionArn ?? functionRef,
        timeoutSec: config.Timeout ?? 3,
        state: config.State ?? "Active",
        ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
      };
    },
  };
}
