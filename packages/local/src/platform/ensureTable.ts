import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
} from "@aws-sdk/client-dynamodb";

/** A table's name and key: partition key, and sort key when it has one (all strings). */
export interface TableSpec {
  name: string;
  partitionKey: string;
  sortKey?: string;
}

/** The tables the platform needs locally, keyed as docs/protocol.md and the SST stack have them. */
export const PlatformTables = {
  tokens: { name: "tokens", partitionKey: "queueUrl", sortKey: "token" },
  processed: { name: "processed", partitionKey: "messageId" },
  routes: { name: "routes", partitionKey: "queueName" },
} as const satisfies Record<string, TableSpec>;

/** Creates the table unless it exists already: a redeploy keeps its items. */
export async function ensureTable(dynamodb: DynamoDBClient, spec: TableSpec): Promise<void> {
  const keys: KeySchemaElement[] = [{ AttributeName: spec.partitionKey, KeyType: "HASH" }];
  const attributes: AttributeDefinition[] = [{ AttributeName: spec.partitionKey, AttributeType: "S" }];
  if (spec.sortKey) {
    keys.push({ AttributeName: spec.sortKey, KeyType: "RANGE" });
    attributes.push({ AttributeName: spec.sortKey, AttributeType: "S" });
  }
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: spec.name,
        KeySchema: keys,
        AttributeDefinitions: attributes,
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  } catch (error) {
    if ((error as Error).name !== "ResourceInUseException") throw error;
  }
  // A table is usable once ACTIVE; the local DynamoDB gets there almost at once, AWS within seconds.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: spec.name }));
    if (Table?.TableStatus === "ACTIVE") return;
    if (Date.now() > deadline) throw new Error(`table ${spec.name} did not become ACTIVE within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
