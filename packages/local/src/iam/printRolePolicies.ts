import path from "node:path";
import { loadRegistry, settingsFor } from "@sqs-dispatcher/config";
import { ScalingEventsTable } from "../cloudwatch/deployScaling.js";
import { PlatformTables } from "../platform/ensureTable.js";
import { projectRoot } from "../projectRoot.js";
import { FAUXQS_ACCOUNT_ID } from "../sqs/sqsSnsService.js";
import { loadStackRolePolicies, localTableNames } from "./stackRolePolicies.js";

// `pnpm iam:policies [registry module] [stage]`: the role policies the local cloud enforces for a
// registry (default dispatcher.config.ts, stage `local`), synthesized from the stack (or from the cache).
const root = projectRoot();
const registry = await loadRegistry(process.argv[2] ?? path.join(root, "dispatcher.config.ts"));
const routeStore = settingsFor(registry, { kind: "local" }).routeStore;
const policies = await loadStackRolePolicies({
  registry,
  stage: process.argv[3] ?? "local",
  routeStore,
  region: process.env.AWS_REGION ?? "us-east-1",
  accountId: FAUXQS_ACCOUNT_ID,
  projectRoot: root,
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
