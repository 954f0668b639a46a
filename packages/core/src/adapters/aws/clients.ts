import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** The SDK v3 clients the poller, restart and scale functions share. */
export interface AwsClients {
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  /** For starting loops: propagates the invocation chain (`X-Amzn-Trace-Id`), as the recursion guard expects. */
  lambda: LambdaClient;
  /**
   * For invoking handler functions: without the SDK's recursion-detection middleware,
   * so a handler invocation does not inherit the poller's recursive chain. Handlers
   * run with `RecursiveLoop: Terminate` and must stay outside the loop's chain.
   */
  handlerLambda: LambdaClient;
}

export interface AwsClientOptions {
  /** Default: the SDK's own resolution (AWS_REGION). */
  region?: string;
  /** Default: the SDK's own resolution (AWS_ENDPOINT_URL, which the local cloud sets). */
  endpoint?: string;
  /** SDK retry attempts for DynamoDB and SQS calls (default 3). */
  maxAttempts?: number;
  /**
   * Longest wait for a response, per client, ms, so a half-open connection cannot hang a loop
   * past its budget: the call then fails with a `TimeoutError`. SQS must outlast a long poll and the
   * handler client the longest handler.
   * Defaults: DynamoDB 5 s, SQS 30 s (a 20 s long poll and slack), Lambda 10 s, handler Lambda 15 min.
   */
  requestTimeoutMs?: Partial<Record<"dynamodb" | "sqs" | "lambda" | "handlerLambda", number>>;
  /** Sockets per host (default 50); a shared loop needs one per member's long poll and more. */
  maxSockets?: number;
}

/**
 * Builds the clients once (per cold start). Keep-alive agents so that a loop's
 * many small calls reuse connections. The Lambda client gets a single attempt:
 * a sync handler invoke that is retried by the SDK could run a batch twice
 * without us knowing; the poller decides about retries itself.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const agents = {
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 50 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 50 }),
  };
  const timeouts = { ...defaultRequestTimeoutMs, ...options.requestTimeoutMs };
  const base = (client: keyof typeof defaultRequestTimeoutMs) =>
    clientConfig(options, timeouts[client], agents);
  const maxAttempts = options.maxAttempts ?? 3;
  const dynamodb = new DynamoDBClient({ ...base("dynamodb"), maxAttempts });
  return {
    dynamodb,
    doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    // Requests go to the region's SQS endpoint (or the configured one), never to a host named by a
    // queue URL: the URL comes from an event or a stored route, and the SDK would otherwise send
    // signed requests to whatever host it names. (It signs for the client's region either way.)
    sqs: new SQSClient({ ...base("sqs"), maxAttempts, useQueueUrlAsEndpoint: false }),
    lambda: new LambdaClient({ ...base("lambda"), maxAttempts: 1 }),
    handlerLambda: outsideInvocationChain(new LambdaClient({ ...base("handlerLambda"), maxAttempts: 1 })),
  };
}

/**
 * The CloudWatch client of restart (depth mode), the scale functions (alarm checks) and the admin
 * API, with the same request timeout that throws as the other clients: a CloudWatch call that never
 * answers fails with a `TimeoutError` instead of holding a run until Lambda ends it. Kept apart from
 * {@link createAwsClients} so the poller, which reads no CloudWatch, does not build one.
 */
export function createCloudWatchClient(
  options: Pick<AwsClientOptions, "region" | "endpoint" | "maxAttempts"> & { requestTimeoutMs?: number } = {},
): CloudWatchClient {
  return new CloudWatchClient({
    ...clientConfig(options, options.requestTimeoutMs ?? 10_000),
    maxAttempts: options.maxAttempts ?? 3,
  });
}

/** Region, endpoint and the request handler's timeouts every client here is built with. */
function clientConfig(
  options: Pick<AwsClientOptions, "region" | "endpoint">,
  requestTimeoutMs: number,
  agents?: { httpAgent: HttpAgent; httpsAgent: HttpsAgent },
) {
  return {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    requestHandler: {
      ...agents,
      connectionTimeout: 3_000,
      requestTimeout: requestTimeoutMs,
      // Without it the SDK only logs a warning when the request timeout passes, and the call hangs on.
      throwOnRequestTimeout: true,
    },
  };
}

const defaultRequestTimeoutMs = {
  dynamodb: 5_000,
  sqs: 30_000,
  lambda: 10_000,
  handlerLambda: 905_000,
};

/** The SDK's middleware that copies `_X_AMZN_TRACE_ID` into `X-Amzn-Trace-Id` inside Lambda. */
export const recursionDetectionMiddlewareName = "recursionDetectionMiddleware";

function outsideInvocationChain(client: LambdaClient): LambdaClient {
  client.middlewareStack.remove(recursionDetectionMiddlewareName);
  return client;
}
