/**
 * AWS list prices, us-east-1, on-demand, x86 — what the README's cost table uses.
 * Free tiers are left out: they do not scale with traffic.
 */
export const Pricing = {
  sqsStandardPerMillionRequests: 0.4,
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000166667,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
} as const;
