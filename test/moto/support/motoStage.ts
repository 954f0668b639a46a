import { CloudWatchClient, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  awsResourceName,
  deadLetterQueueName,
  isImportedQueue,
  PlatformFunction,
  type Registry,
  type Route,
  routeParameterPath,
  settingsFor,
  storedRouteOf,
  tierAlarmName,
  tierDescription,
  tierMetricName,
} from "@sqs-dispatcher/config";
import { type LeaseStore, type RouteStore, silentLogger, systemClock } from "@sqs-dispatcher/core";
import {
  createDynamoLeaseStore,
  createDynamoRouteStore,
  createSsmRouteStore,
} from "@sqs-dispatcher/core/aws";
import { createRouteSync, routeStoreLocation } from "@sqs-dispatcher/functions/routeSync";
import { ensureTable, PlatformTables } from "@sqs-dispatcher/local";
import type { MotoServer } from "./motoServer.js";

/** SDK clients aimed at moto (through its proxy), closed together. */
export interface MotoClients {
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  ssm: SSMClient;
  cloudwatch: CloudWatchClient;
  lambda: LambdaClient;
  destroy(): void;
}

export function motoClients(moto: MotoServer): MotoClients {
  const config = { ...moto.clientConfig, maxAttempts: 1 };
  // As the platform builds them: never the host a queue URL names (see createAwsClients).
  const sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
  const dynamodb = new DynamoDBClient(config);
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const ssm = new SSMClient(config);
  const cloudwatch = new CloudWatchClient(config);
  const lambda = new LambdaClient(config);
  return {
    sqs,
    dynamodb,
    doc,
    ssm,
    cloudwatch,
    lambda,
    destroy() {
      for (const client of [sqs, dynamodb, ssm, cloudwatch, lambda]) client.destroy();
    },
  };
}

/**
 * Creates the stage's poller function in moto, so an async invoke of it by its physical name is
 * accepted (202) as on AWS. moto runs no code without Docker: the function exists, nothing executes.
 * Its role is created with IAM's query API directly (moto wants the role to exist; the project has
 * no IAM client, and this is test setup, not code under test).
 */
async function createPollerFunction(moto: MotoServer, clients: MotoClients, functionName: string) {
  const roleName = `${functionName}-role`.slice(0, 64);
  const response = await fetch(`${moto.endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${moto.region}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({
      Action: "CreateRole",
      Version: "2010-05-08",
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
    }).toString(),
  });
  if (!response.ok && !(await response.text()).includes("EntityAlreadyExists")) {
    throw new Error(`moto CreateRole answered ${response.status}`);
  }
  await clients.lambda.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
      Runtime: "nodejs20.x",
      Role: `arn:aws:iam::${moto.accountId}:role/${roleName}`,
      Handler: "poller.handler",
      // moto stores the code without reading it when it cannot run it.
      Code: { ZipFile: new TextEncoder().encode("not run by moto") },
    }),
  );
}

/** What {@link deployStageToMoto} created, by the names the stack gives them. */
export interface MotoStage {
  stage: string;
  tokensTable: string;
  routesTable: string;
  routesPath: string;
  routes: RouteStore;
  leases: LeaseStore;
  /** The registry's routes as route sync stored them. */
  storedRoutes: Route[];
}

/**
 * Creates a stage's resources in moto as the SST stack names them (`awsResourceName`, `tierAlarmName`,
 * `routeParameterPath`): the tokens table, the routes table when the stage stores routes in DynamoDB,
 * each created queue with its DLQ and redrive policy, one alarm per route tier; then runs the stack's
 * route sync (the `Custom::RouteSync` handler's logic) in-process to write the registry's routes, with
 * the physical queue URLs and function names a deploy gives them. Of the functions only the poller is
 * created, to be invoked by name: moto cannot run any without Docker.
 */
export async function deployStageToMoto(
  moto: MotoServer,
  clients: MotoClients,
  registry: Registry,
  stage: string,
): Promise<MotoStage> {
  const name = (logical: string) => awsResourceName(registry.app, stage, logical);
  const tokensTable = name("tokens");
  const routesTable = name("routes");
  const routesPath = routeParameterPath(registry.app, stage);
  const storeKind = settingsFor(registry, { kind: "aws", stage }).routeStore;
  await ensureTable(clients.dynamodb, { ...PlatformTables.tokens, name: tokensTable });
  if (storeKind === "dynamodb")
    await ensureTable(clients.dynamodb, { ...PlatformTables.routes, name: routesTable });

  for (const route of registry.routes) {
    const queue = route.queue;
    if (isImportedQueue(queue)) continue;
    const fifo = queue.name.endsWith(".fifo") ? { FifoQueue: "true" } : {};
    await clients.sqs.send(
      new CreateQueueCommand({ QueueName: deadLetterQueueName(queue.name), Attributes: { ...fifo } }),
    );
    await clients.sqs.send(
      new CreateQueueCommand({
        QueueName: queue.name,
        Attributes: {
          ...fifo,
          VisibilityTimeout: String(queue.visibilityTimeoutSec),
          MessageRetentionPeriod: String(queue.retentionSec),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: `arn:aws:sqs:${moto.region}:${moto.accountId}:${deadLetterQueueName(queue.name)}`,
            maxReceiveCount: queue.maxReceiveCount,
          }),
        },
      }),
    );
    for (const [i, tier] of route.alarms.entries()) {
      await clients.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: tierAlarmName(registry.app, stage, queue.name, i + 1),
          AlarmDescription: tierDescription(queue.name, i + 1, tier),
          Namespace: "AWS/SQS",
          MetricName: tierMetricName(tier),
          Dimensions: [{ Name: "QueueName", Value: queue.name }],
          Statistic: "Maximum",
          Period: tier.periodSec,
          EvaluationPeriods: tier.evaluationPeriods,
          DatapointsToAlarm: tier.datapointsToAlarm ?? tier.evaluationPeriods,
          Threshold: tier.threshold,
          ComparisonOperator: "GreaterThanOrEqualToThreshold",
          TreatMissingData: "notBreaching",
        }),
      );
    }
  }

  await createPollerFunction(moto, clients, name(PlatformFunction.Poller));

  const routes =
    storeKind === "dynamodb"
      ? createDynamoRouteStore({ doc: clients.doc, tableName: routesTable })
      : createSsmRouteStore({ ssm: clients.ssm, path: routesPath });
  const location = routeStoreLocation(
    storeKind === "dynamodb"
      ? { ROUTE_STORE: "dynamodb", ROUTES_TABLE: routesTable }
      : { ROUTE_STORE: "ssm", ROUTES_PATH: routesPath },
  );
  const registryRoutes = registry.routes.map((route) =>
    storedRouteOf(route, {
      queueUrl: moto.queueUrl(route.queue.name),
      functionName: name(route.function),
      deployedName: name,
    }),
  );
  // The route sync reads the deploy's routes from what the stack owns (a spec source), and the
  // CloudFormation request is only its trigger; here the spec is the registry's routes as the stack
  // would write them.
  const deployId = String(Date.now());
  const spec = { read: async () => ({ deployId, resetRoutes: false, routes: registryRoutes }) };
  await createRouteSync({ routes, location, spec, clock: systemClock, logger: silentLogger }).onEvent({
    RequestType: "Create",
    ServiceToken: `arn:aws:lambda:${moto.region}:${moto.accountId}:function:${name(PlatformFunction.Restart)}`,
    ResponseURL: `https://cloudformation-custom-resource-response-${moto.region}.s3.amazonaws.com/moto`,
    StackId: `arn:aws:cloudformation:${moto.region}:${moto.accountId}:stack/${stage}/moto`,
    RequestId: "moto-route-sync",
    LogicalResourceId: "RouteSync",
    ResourceType: "Custom::RouteSync",
    ResourceProperties: {
      ServiceToken: `arn:aws:lambda:${moto.region}:${moto.accountId}:function:${name(PlatformFunction.Restart)}`,
      RouteStore: location,
      DeployId: deployId,
    },
  });
  return {
    stage,
    tokensTable,
    routesTable,
    routesPath,
    routes,
    leases: createDynamoLeaseStore({ doc: clients.doc, tableName: tokensTable }),
    storedRoutes: await routes.list(),
  };
}
