/** AWS limits the registry is checked against (SQS, Lambda and CloudWatch service quotas). */
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
  /** The longest queue URL SQS hands out is far shorter; 2,048 is the generous bound of a URL. */
  sqsQueueUrlMaxLength: 2_048,
  lambdaTimeoutMaxSec: 900,
  lambdaMemoryMinMb: 128,
  lambdaMemoryMaxMb: 10_240,
  /** CloudWatch alarms: the periods below a minute that it accepts (high resolution). */
  cloudWatchSubMinutePeriodsSec: [10, 30],
  /** CloudWatch alarms: evaluationPeriods × periodSec must not exceed one day. */
  cloudWatchEvaluationWindowMaxSec: 86_400,
  /** SSM Parameter Store: a Standard parameter's value, in characters (4 KB). */
  ssmStandardValueMaxChars: 4_096,
  /** SSM Parameter Store: an Advanced parameter's value, in characters (8 KB). */
  ssmAdvancedValueMaxChars: 8_192,
  /** DynamoDB: an item, attribute names and values together (400 KB). */
  dynamoItemMaxBytes: 409_600,
  /** DynamoDB: the longest sort key (the token), in bytes. */
  dynamoSortKeyMaxBytes: 1_024,
} as const;

/**
 * Environment keys Lambda reserves (the developer guide's "Defined runtime environment variables"):
 * a function that sets one is refused by Lambda at deploy time, so the registry refuses it first.
 */
export const lambdaReservedEnvironmentKeys: readonly string[] = [
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
];

/**
 * The platform's own ceilings on numbers a user types. They bound what one route or one
 * registry can ask of restart (which builds one slot id per loop), of scale-up (which starts
 * `scaleStep` loops per ALARM) and of the account's Lambda concurrency.
 */
export const PlatformLimits = {
  /** `limits.maxLoopsPerRoute` when the registry does not say. */
  defaultMaxLoopsPerRoute: 50,
  /** `limits.maxLoopsTotal` when the registry does not say. */
  defaultMaxLoopsTotal: 200,
  /**
   * The most loops any route may have, whatever the registry says: the stored-route schema holds
   * every route to it, so a route edited past the registry (by hand in SSM) still cannot make
   * restart build more slot ids than this.
   */
  maxLoopsPerRouteCeiling: 1_000,
  /** The highest `limits.maxLoopsTotal` a registry may set (the sum of maxLoops × concurrency). */
  maxLoopsTotalCeiling: 10_000,
} as const;
