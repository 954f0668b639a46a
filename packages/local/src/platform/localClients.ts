import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Where the local cloud answers: its edge endpoint and region. */
export interface LocalEndpoint {
  endpoint: string;
  region: string;
}

/** SDK v3 clients aimed at the local cloud's edge, with the local cloud's test credentials. */
export interface LocalClients {
  sqs: SQSClient;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  lambda: LambdaClient;
  ssm: SSMClient;
  cloudwatch: CloudWatchClient;
  /** Closes every client's sockets. */
  destroy(): void;
}

/** Builds the clients once; the local cloud speaks the real wire protocols, so these are the production clients. */
export function createLocalClients({ endpoint, region }: LocalEndpoint): LocalClients {
  const config = { endpoint, region, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  const dynamodb = new DynamoDBClient(config);
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const lambda = new LambdaClient(config);
  const ssm = new SSMClient(config);
  const cloudwatch = new CloudWatchClient(config);
  return {
    sqs,
    sns,
    dynamodb,
    doc,
    lambda,
    ssm,
    cloudwatch,
    destroy() {
      for (const client of [sqs, sns, dynamodb, lambda, ssm, cloudwatch]) client.destroy();
    },
  };
}
