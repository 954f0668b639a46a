import { Pricing } from "./pricing.js";

/** A 30-day month, as docs/deploy.md's estimates count it (2,592,000 s). */
export const hoursPerMonth = 720;

/** What the platform did per hour at rest, for `routes` quiet routes. */
export interface AtRestHour {
  routes: number;
  /** Poller GB-seconds billed per hour (Duration × memory). */
  pollerGbSeconds: number;
  /** Restart's GB-seconds per hour (it runs whatever the routes, and its scans grow with them). */
  restartGbSeconds: number;
  /** Lambda invocations per hour: the poller's self-invokes and restart's runs. */
  lambdaInvocations: number;
  sqsRequests: number;
  dynamoWrites: number;
  dynamoReads: number;
}

/** One quiet queue's month at rest, in dollars, by what it pays for. */
export interface QuietQueueMonth {
  lambdaCompute: number;
  lambdaRequests: number;
  sqs: number;
  dynamodb: number;
  total: number;
}

/**
 * Prices one quiet queue's month at AWS list prices (`Pricing`): everything the platform billed per
 * hour at rest, times a month, divided by the quiet routes that shared it. Restart's time is counted
 * in too, so a small estate carries more of it per queue. DynamoDB writes and reads are priced one
 * request unit each (the lease and member rows are far below 1 KB). SSM standard parameters at
 * standard throughput cost nothing.
 */
export function priceQuietQueueMonth(hour: AtRestHour): QuietQueueMonth {
  const perQueue = (perHour: number, dollarsPerUnit: number) =>
    (perHour * hoursPerMonth * dollarsPerUnit) / hour.routes;
  const million = 1_000_000;
  const lambdaCompute = perQueue(hour.pollerGbSeconds + hour.restartGbSeconds, Pricing.lambdaPerGbSecond);
  const lambdaRequests = perQueue(hour.lambdaInvocations, Pricing.lambdaPerMillionRequests / million);
  const sqs = perQueue(hour.sqsRequests, Pricing.sqsStandardPerMillionRequests / million);
  const dynamodb =
    perQueue(hour.dynamoWrites, Pricing.dynamoPerMillionWriteUnits / million) +
    perQueue(hour.dynamoReads, Pricing.dynamoPerMillionReadUnits / million);
  return {
    lambdaCompute,
    lambdaRequests,
    sqs,
    dynamodb,
    total: lambdaCompute + lambdaRequests + sqs + dynamodb,
  };
}
