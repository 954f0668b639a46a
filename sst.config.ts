import type { SSTConfig } from "sst";

/**
 * The SST v2 app. Stacks are imported inside `stacks()` so that SST's shallow load of this
 * file (to read `config()`) does not bundle them; `pnpm sst deploy --stage <stage>` deploys.
 */
export default {
  config() {
    return { name: "sqs-dispatcher", region: process.env.AWS_REGION ?? "us-east-1" };
  },
  async stacks(app) {
    // The account's Lambda concurrency, so the stack refuses a registry that cannot fit it.
    const { accountConcurrencyVariable, readAccountConcurrency } = await import("./stacks/deployCapacity.js");
    if (app.mode === "deploy" && !process.env[accountConcurrencyVariable]) {
      const limit = await readAccountConcurrency(app.region);
      if (limit !== undefined) process.env[accountConcurrencyVariable] = String(limit);
    }
    const { Dispatcher } = await import("./stacks/Dispatcher.js");
    const { AdminApi } = await import("./stacks/AdminApi.js");
    // Explicit ids: stack names must not depend on how a bundler names functions.
    app.stack(Dispatcher, { id: "Dispatcher" }).stack(AdminApi, { id: "AdminApi" });
  },
} satisfies SSTConfig;
