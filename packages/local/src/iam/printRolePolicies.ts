import path from "node:path";
import { fileURLToPath } from "node:url";
import { settingsFor } from "@sqs-dispatcher/config";
import { ScalingEventsTable } from "../cloudwatch/deployScaling.js";
import { loadRegistry } from "../dev/loadRegistry.js";
import { PlatformTables } from "../platform/ensureTable.js";
import { FAUXQS_ACCOUNT_ID } from "../sqs/sqsSnsService.js";
import { loadStackRolePolicies, localTableNames } from "./stackRolePolicies.js";

// `pnpm iam:policies [registry module] [stage]`: the role policies the local cloud enforces for a
// registry (default dispatcher.config.ts, stage `local`), synthesized from the stack (or from the cache).
const projectRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const registry = await loadRegistry(
  path.resolve(process.argv[2] ?? path.join(projectRoot, "dispatcher.config.ts")),
);
const routeStore = settingsFor(registry, { kind: "local" }).routeStore;
const policies = await loadStackRolePolicies({
  registry,
  stage: process.argv[3] ?? "local",
  routeStore,
  region: process.env.AWS_REGION ?? "us-east-1",
  accountId: FAUXQS_ACCOUNT_ID,
  projectRoot,
  tables: localTableNames(
    {
      tokens: PlatformTables.tokens.name,
      processed: PlatformTables.processed.name,
      ...(routeStore === "dynamodb" ? { routes: PlatformTables.routes.name } : {}),
    },
    ScalingEventsTable.name,
  ),
});
process.stdout.write(`${JSON.stringify(policies, null, 2)}\n`);
