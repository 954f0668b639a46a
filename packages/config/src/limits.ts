/** AWS limits the registry is checked against (SQS and Lambda service quotas). */
export const AwsLimits = {
  sqsBatchMax: 10,
  /** Lambda's SQS event source: batch size on a standard queue with a batching window. */
  standardBatchMax: 10_000,
  /** Lambda's SQS event source: the longest batching window. */
  batchWindowMaxSec: 300,
  /** Synchronous Invoke: request payload limit (6 MB). */
  syncInvokePayloadMaxBytes: 6_291_456,
  sqsWaitTimeMaxSec: 20,
  sqsVisibilityMaxSec: 43_200,
  sqsRetentionMinSec: 60,
  sqsRetentionMaxSec: 1_209_600,
  sqsMaxReceiveCountMax: 1_000,
  lambdaTimeoutMaxSec: 900,
  lambdaMemoryMinMb: 128,
  lambdaMemoryMaxMb: 10_240,
} as const;
