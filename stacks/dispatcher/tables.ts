import { routeParameterPath } from "@sqs-dispatcher/config";
import { BillingMode } from "aws-cdk-lib/aws-dynamodb";
import { Table } from "sst/constructs";
import { exampleFunctionsOf } from "./checks.js";
import type { RouteStoreLocation, StackBuild } from "./context.js";

/** The `processed` table's TTL attribute (epoch seconds), written by the example handlers. */
export const processedTtlAttribute = "expiresAt";

/** The stack's tables: tokens, the examples' `processed` table, and the route store. */
export interface DispatcherTables extends RouteStoreLocation {
  readonly tokensTable: Table;
  readonly processedTable?: Table;
}

/** Builds the tables. Keys as docs/protocol.md's token protocol fixes them. */
export function createTables(build: StackBuild): DispatcherTables {
  const { stack, registry, stage, settings, name } = build;
  const exampleFunctions = exampleFunctionsOf(build);
  const tokensTable = new Table(stack, "Tokens", {
    fields: { queueUrl: "string", token: "string" },
    primaryIndex: { partitionKey: "queueUrl", sortKey: "token" },
    cdk: {
      table: {
        tableName: name("tokens"),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecovery: true,
      },
    },
  });
  const processedTable =
    registry.examples && exampleFunctions.length > 0
      ? new Table(stack, "Processed", {
          fields: { messageId: "string" },
          primaryIndex: { partitionKey: "messageId" },
          // Every delivered body is kept here; the TTL keeps that bounded.
          timeToLiveAttribute: processedTtlAttribute,
          cdk: {
            table: {
              tableName: name("processed"),
              billingMode: BillingMode.PAY_PER_REQUEST,
              pointInTimeRecovery: false,
            },
          },
        })
      : undefined;
  const routesTable =
    settings.routeStore === "dynamodb"
      ? new Table(stack, "Routes", {
          fields: { queueName: "string" },
          primaryIndex: { partitionKey: "queueName" },
          cdk: {
            table: {
              tableName: name("routes"),
              billingMode: BillingMode.PAY_PER_REQUEST,
              pointInTimeRecovery: true,
            },
          },
        })
      : undefined;
  const routesPath = settings.routeStore === "ssm" ? routeParameterPath(registry.app, stage) : undefined;
  return {
    tokensTable,
    ...(processedTable ? { processedTable } : {}),
    ...(routesTable ? { routesTable } : {}),
    ...(routesPath !== undefined ? { routesPath } : {}),
  };
}
