import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { routeStoreKindSchema } from "@sqs-dispatcher/config";
import { createDynamoRouteStore, createSsmRouteStore, type RouteStore } from "@sqs-dispatcher/core";
import { EnvVar, MissingEnvironmentError, requireEnv } from "./environment.js";

/**
 * The route store a function was deployed with: `ROUTE_STORE=ssm` with `ROUTES_PATH`, or
 * `ROUTE_STORE=dynamodb` with `ROUTES_TABLE`. Clients take region, credentials and
 * `AWS_ENDPOINT_URL` (the local cloud) from the environment like every SDK v3 client.
 * Call once per cold start.
 */
export function routeStoreFromEnv(env: NodeJS.ProcessEnv = process.env): RouteStore {
  const raw = requireEnv(EnvVar.RouteStore, env);
  const kind = routeStoreKindSchema.safeParse(raw);
  if (!kind.success) {
    throw new MissingEnvironmentError(`${EnvVar.RouteStore} ('ssm' or 'dynamodb', got '${raw}')`);
  }
  if (kind.data === "ssm") {
    return createSsmRouteStore({ ssm: new SSMClient({}), path: requireEnv(EnvVar.RoutesPath, env) });
  }
  return createDynamoRouteStore({
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: requireEnv(EnvVar.RoutesTable, env),
  });
}
