import { Pricing } from "./support/pricing.js";

/** Requests by `service:operation` and Lambda GB-seconds, scaled to one million messages. */
export interface CostPerMillion {
  requests: Record<string, number>;
  handlerGbSeconds: number;
  pollerGbSeconds: number;
  dollars: { sqs: number; lambdaRequests: number; lambdaCompute: number; dynamodb: number; total: number };
}

/** The DynamoDB write operations a lease's heartbeats, claims and token changes use. */
export const dynamoWrites = [
  "dynamodb:UpdateItem",
  "dynamodb:PutItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
];

/**
 * What a drain's requests and GB-seconds cost, scaled to one million messages at AWS list prices;
 * the benchmark's own requests (sends, observer polls, route pauses, the local alarm evaluator's) are left out.
 */
export function costPerMillion(run: {
  messages: number;
  requests: Record<string, number>;
  handlerGbSeconds: number;
  pollerGbSeconds: number;
}): CostPerMillion {
  const scale = 1_000_000 / run.messages;
  // The observer's own GetQueueAttributes polls are the benchmark's, not the platform's.
  const requests = Object.fromEntries(
    Object.entries(run.requests)
      // The benchmark's own sends and observer polls, and the local alarm evaluator's metric reads and
      // notifications (CloudWatch's own work on AWS), are not the platform's requests.
      .filter(
        ([key]) =>
          ![
            "sqs:GetQueueAttributes",
            "sqs:SendMessageBatch",
            "sqs:ListQueues",
            // The benchmark's own pause and unpause of the route.
            "ssm:PutParameter",
          ].includes(key) &&
          !key.startsWith("sns:") &&
          !key.startsWith("monitoring:"),
      )
      .map(([key, n]) => [key, Math.round(n * scale)]),
  );
  const sum = (prefix: string) =>
    Object.entries(requests).reduce((total, [key, n]) => (key.startsWith(prefix) ? total + n : total), 0);
  const handlerGbSeconds = run.handlerGbSeconds * scale;
  const pollerGbSeconds = run.pollerGbSeconds * scale;
  const sqs = (sum("sqs:") / 1e6) * Pricing.sqsStandardPerMillionRequests;
  const lambdaRequests = (sum("lambda:Invoke") / 1e6) * Pricing.lambdaPerMillionRequests;
  const lambdaCompute = (handlerGbSeconds + pollerGbSeconds) * Pricing.lambdaPerGbSecond;
  // Heartbeats and claims are small conditional writes: one write unit each. Reads (restart's scans
  // and queries of the tokens table) are priced at one read unit each, an upper bound for small items.
  const writes = dynamoWrites.reduce((n, key) => n + (requests[key] ?? 0), 0);
  const reads = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem"].reduce(
    (n, key) => n + (requests[key] ?? 0),
    0,
  );
  const dynamodb =
    (writes / 1e6) * Pricing.dynamoPerMillionWriteUnits + (reads / 1e6) * Pricing.dynamoPerMillionReadUnits;
  return {
    requests,
    handlerGbSeconds,
    pollerGbSeconds,
    dollars: {
      sqs,
      lambdaRequests,
      lambdaCompute,
      dynamodb,
      total: sqs + lambdaRequests + lambdaCompute + dynamodb,
    },
  };
}
