import { randomUUID } from "node:crypto";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from "@aws-sdk/lib-dynamodb";
import { parseRoute, type Route } from "@sqs-dispatcher/config";
import { ROUTES_VERSION_KEY, type RouteStore } from "../../routing/ports.js";
import { type InvalidStoredRoute, InvalidStoredRouteError } from "../../routing/routeStoreErrors.js";

export interface DynamoRouteStoreOptions {
  doc: DynamoDBDocumentClient;
  /** The routes table: partition key `queueName` (S), one item per route. */
  tableName: string;
}

function describeProblem(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\s*\n\s*/g, " ") : String(error);
}

/**
 * Routes in a DynamoDB table keyed by `queueName`; each item holds the route's fields as attributes.
 * Reads are strongly consistent so that `routes set` followed by `routes show` never shows the old
 * route. Every read is parsed with `parseRoute`; a corrupt item raises {@link InvalidStoredRouteError}.
 * Every write also bumps the version marker, the item `queueName: ".version"` (`list` skips it).
 *
 * @example
 * const routes = createDynamoRouteStore({ doc: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: "routes" });
 */
export function createDynamoRouteStore(options: DynamoRouteStoreOptions): RouteStore {
  const { doc, tableName } = options;
  const keyOf = (queueName: string) => `${tableName}/${queueName}`;
  const bumpVersion = () =>
    doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { queueName: ROUTES_VERSION_KEY, version: randomUUID() },
      }),
    );

  return {
    async get(queueName) {
      const out = await doc.send(
        new GetCommand({ TableName: tableName, Key: { queueName }, ConsistentRead: true }),
      );
      if (out.Item === undefined) return undefined;
      try {
        return parseRoute(out.Item);
      } catch (error) {
        throw new InvalidStoredRouteError([{ key: keyOf(queueName), message: describeProblem(error) }], [], {
          cause: error,
        });
      }
    },

    async list() {
      const routes: Route[] = [];
      const invalid: InvalidStoredRoute[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(
          new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
        );
        for (const item of out.Items ?? []) {
          if (item["queueName"] === ROUTES_VERSION_KEY) continue;
          try {
            routes.push(parseRoute(item));
          } catch (error) {
            invalid.push({ key: keyOf(String(item["queueName"])), message: describeProblem(error) });
          }
        }
        startKey = out.LastEvaluatedKey;
      } while (startKey);
      if (invalid.length > 0) throw new InvalidStoredRouteError(invalid, routes);
      return routes.sort((a, b) => a.queueName.localeCompare(b.queueName));
    },

    async put(route) {
      const valid = parseRoute(route);
      // The JSON round trip drops absent optional fields, which DynamoDB would refuse as undefined.
      await doc.send(new PutCommand({ TableName: tableName, Item: JSON.parse(JSON.stringify(valid)) }));
      await bumpVersion();
    },

    async delete(queueName) {
      const out = await doc.send(
        new DeleteCommand({ TableName: tableName, Key: { queueName }, ReturnValues: "ALL_OLD" }),
      );
      if (out.Attributes === undefined) return false;
      await bumpVersion();
      return true;
    },

    async version() {
      // Eventually consistent on purpose: half the read capacity of a strongly consistent read,
      // and a marker seen a moment late only delays an edit by that moment.
      const out = await doc.send(
        new GetCommand({ TableName: tableName, Key: { queueName: ROUTES_VERSION_KEY } }),
      );
      const value = out.Item?.["version"];
      return typeof value === "string" ? value : undefined;
    },
  };
}
