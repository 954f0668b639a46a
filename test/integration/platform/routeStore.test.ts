import { CreateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoRouteStore, createSsmRouteStore } from "@sqs-dispatcher/core/aws";
import {
  createLocalClients,
  type LocalClients,
  type LocalCloud,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { afterAll, beforeAll } from "vitest";
import { routeStoreContract } from "./routeStoreContract.js";

let cloud: LocalCloud;
let clients: LocalClients;
let ssm: SSMClient;
let dynamo: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let namespace = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  clients = createLocalClients(cloud);
  ({ ssm, dynamodb: dynamo } = clients);
  doc = DynamoDBDocumentClient.from(dynamo);
});

afterAll(async () => {
  clients?.destroy();
  await cloud?.stop();
});

routeStoreContract("SSM", async () => {
  const path = `/contract/t${++namespace}/routes/`;
  return {
    store: createSsmRouteStore({ ssm, path }),
    async plantCorrupt(queueName) {
      const name = `${path}${queueName}`;
      await ssm.send(
        new PutParameterCommand({ Name: name, Type: "String", Value: "{not json", Overwrite: true }),
      );
      return name;
    },
  };
});

routeStoreContract("DynamoDB", async () => {
  const tableName = `routes-${++namespace}`;
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: "queueName", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "queueName", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  return {
    store: createDynamoRouteStore({ doc, tableName }),
    async plantCorrupt(queueName) {
      await doc.send(new PutCommand({ TableName: tableName, Item: { queueName, batchSize: "ten" } }));
      return `${tableName}/${queueName}`;
    },
  };
});
