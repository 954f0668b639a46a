/**
 * AWS list prices, us-east-1, on-demand, arm64 (the stack deploys every function on arm64),
 * as docs/deploy.md's worked estimate uses them. Free tiers are left out: they do not scale with traffic.
 */
export const Pricing = {
  sqsStandardPerMillionRequests: 0.4,
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000133334,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
} as const;
