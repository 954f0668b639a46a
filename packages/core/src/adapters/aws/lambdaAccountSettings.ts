import { GetAccountSettingsCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { DispatcherError } from "../../errors.js";
import type { AccountConcurrencyReader } from "../../status/ports.js";

/** The account's Lambda concurrency through `GetAccountSettings` (needs `lambda:GetAccountSettings`). */
export function createLambdaAccountSettingsReader(lambda: LambdaClient): AccountConcurrencyReader {
  return {
    async accountConcurrency() {
      const out = await lambda.send(new GetAccountSettingsCommand({}));
      const limit = out.AccountLimit?.ConcurrentExecutions;
      if (limit === undefined)
        throw new DispatcherError("GetAccountSettings returned no ConcurrentExecutions");
      return limit;
    },
  };
}
