import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from "@aws-sdk/lib-dynamodb";
import { parseRoute, type Route } from "@sqs-dispatcher/config";
import type { RouteStore } from "../../routing/ports.js";
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
 *
 * @example
 * const routes = createDynamoRouteStore({ doc: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: "routes" });
 */
export function createDynamoRouteStore(options: DynamoRouteStoreOptions): RouteStore {
  const { doc, tableName } = options;
  const keyOf = (queueName: string) => `${tableName}/${queueName}`;

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
    },

    async delete(queueName) {
      const out = await doc.send(
        new DeleteCommand({ TableName: tableName, Key: { queueName }, ReturnValues: "ALL_OLD" }),
      );
      return out.Attributes !== undefined;
    },
  };
}
