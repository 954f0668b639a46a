import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { routeStoreKindSchema } from "@sqs-dispatcher/config";
import type { RouteStore } from "@sqs-dispatcher/core";
import { createDynamoRouteStore, createSsmRouteStore } from "@sqs-dispatcher/core/aws";
import { EnvVar, MissingEnvironmentError, requireEnv } from "./environment.js";

/** How the route store's clients reach it; defaults suit a function (the SDK's own resolution). */
export interface RouteStoreClientOptions {
  /** Longest wait for a response, ms (default 5 s), so a half-open connection cannot hang a loop past its budget. */
  requestTimeoutMs?: number;
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Route reads are small: a response slower than this is a connection that will not answer. */
const defaultRouteStoreRequestTimeoutMs = 5_000;

/**
 * The route store a function was deployed with: `ROUTE_STORE=ssm` with `ROUTES_PATH`, or
 * `ROUTE_STORE=dynamodb` with `ROUTES_TABLE`. Clients take region, credentials and
 * `AWS_ENDPOINT_URL` (the local cloud) from the environment like every SDK v3 client, and a
 * request timeout, so a route read that never answers fails and the loop's budget holds.
 * Call once per cold start.
 */
export function routeStoreFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: RouteStoreClientOptions = {},
): RouteStore {
  const config = {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    requestHandler: {
      connectionTimeout: 3_000,
      requestTimeout: options.requestTimeoutMs ?? defaultRouteStoreRequestTimeoutMs,
      // Without it this SDK only logs a warning when the timeout passes, and the request hangs on.
      throwOnRequestTimeout: true,
    },
  };
  const raw = requireEnv(EnvVar.RouteStore, env);
  const kind = routeStoreKindSchema.safeParse(raw);
  if (!kind.success) {
    throw new MissingEnvironmentError(`${EnvVar.RouteStore} ('ssm' or 'dynamodb', got '${raw}')`);
  }
  if (kind.data === "ssm") {
    return createSsmRouteStore({ ssm: new SSMClient(config), path: requireEnv(EnvVar.RoutesPath, env) });
  }
  return createDynamoRouteStore({
    doc: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
    tableName: requireEnv(EnvVar.RoutesTable, env),
  });
}
