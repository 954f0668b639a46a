/** AWS limits the registry is checked against (SQS and Lambda service quotas). */
export const AwsLimits = {
  sqsBatchMax: 10,
  sqsWaitTimeMaxSec: 20,
  sqsVisibilityMaxSec: 43_200,
  sqsRetentionMinSec: 60,
  sqsRetentionMaxSec: 1_209_600,
  sqsMaxReceiveCountMax: 1_000,
  lambdaTimeoutMaxSec: 900,
  lambdaMemoryMinMb: 128,
  lambdaMemoryMaxMb: 10_240,
} as const;
