import { z } from "zod";
import { AwsLimits, lambdaReservedEnvironmentKeys } from "../limits.js";

const queueNamePattern = /^[A-Za-z0-9_-]{1,80}$/;
const fifoQueueNamePattern = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
/** A Lambda function name (unqualified). */
export const functionNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** SQS's rule for a queue name, as messages say it. */
export const queueNameRule =
  "must be 1-80 characters of letters, digits, '-' or '_' (a FIFO queue's name ends in '.fifo')";

/** Whether `name` is a name SQS accepts for a queue (standard, or FIFO ending in `.fifo`). */
export function isQueueName(name: string): boolean {
  return name.endsWith(".fifo") ? fifoQueueNamePattern.test(name) : queueNamePattern.test(name);
}

/** A handler function of the registry: the code a route forwards batches to. */
export const functionSchema = z
  .strictObject({
    /** `path/to/file.exportName`, relative to the project root (as SST's `handler`). */
    handler: z.string().regex(/^[^\s]+\.[A-Za-z_$][\w$]*$/, "must be 'path/to/module.exportName'"),
    timeoutSec: z.int().min(1).max(AwsLimits.lambdaTimeoutMaxSec).default(30),
    memoryMb: z.int().min(AwsLimits.lambdaMemoryMinMb).max(AwsLimits.lambdaMemoryMaxMb).default(256),
    /** Lambda refuses its reserved keys (`AWS_REGION`, `_HANDLER`, ...) at deploy time; so does the registry. */
    environment: z.record(z.string(), z.string()).default({}),
    /**
     * Reserved concurrency; unset means the account's unreserved pool. At least 1: 0 would stop the
     * handler from ever running (every invoke throttled), so its queue would never drain.
     */
    reservedConcurrency: z.int().min(1, "must be at least 1 (0 would throttle every invoke)").optional(),
    /**
     * An example handler kept outside packages/functions/src/handlers/ (a fixture that records its
     * deliveries as those do): the stack gives it the `processed` table and `dynamodb:UpdateItem` on
     * it, as it gives the handlers there, and deploys it to AWS only with the registry's `examples: true`.
     */
    example: z.boolean().optional(),
  })
  .superRefine((fn, ctx) => {
    for (const key of Object.keys(fn.environment)) {
      if (!lambdaReservedEnvironmentKeys.includes(key)) continue;
      ctx.addIssue({
        code: "custom",
        path: ["environment", key],
        message: `'${key}' is reserved by Lambda (it sets it itself); rename the variable`,
      });
    }
  });
export type FunctionConfig = z.infer<typeof functionSchema>;

/** What an alarm tier watches. */
export const AlarmMetric = {
  /** `ApproximateNumberOfMessagesVisible`: threshold in messages. */
  Depth: "depth",
  /** `ApproximateAgeOfOldestMessage`: threshold in seconds. */
  Age: "age",
} as const;
export type AlarmMetric = (typeof AlarmMetric)[keyof typeof AlarmMetric];

/**
 * One CloudWatch alarm tier: on `ApproximateNumberOfMessagesVisible` (`metric: "depth"`, the
 * default; threshold in messages) or on `ApproximateAgeOfOldestMessage` (`metric: "age"`;
 * threshold in seconds), so a trickle of old messages scales a route as a deep queue does.
 *
 * @example
 * { threshold: 1000 }                      // depth: 1,000 visible messages
 * { metric: "age", threshold: 300 }        // age: the oldest message waited 5 minutes
 */
export const alarmTierSchema = z
  .strictObject({
    /** Default `depth`; unset is read as depth everywhere. */
    metric: z.enum([AlarmMetric.Depth, AlarmMetric.Age]).optional(),
    threshold: z.int().min(1),
    /** CloudWatch accepts 10, 30 or a multiple of 60 seconds. */
    periodSec: z
      .int()
      .min(10)
      .refine(
        (p) => (AwsLimits.cloudWatchSubMinutePeriodsSec as readonly number[]).includes(p) || p % 60 === 0,
        {
          error: (issue) =>
            `must be 10, 30 or a multiple of 60 seconds, as CloudWatch alarms accept (${String(issue.input)})`,
        },
      )
      .default(60),
    evaluationPeriods: z.int().min(1).default(1),
    datapointsToAlarm: z.int().min(1).optional(),
  })
  .superRefine((tier, ctx) => {
    const windowSec = tier.evaluationPeriods * tier.periodSec;
    if (windowSec > AwsLimits.cloudWatchEvaluationWindowMaxSec) {
      ctx.addIssue({
        code: "custom",
        path: ["evaluationPeriods"],
        message: `evaluationPeriods × periodSec (${windowSec}s) must not exceed one day (${AwsLimits.cloudWatchEvaluationWindowMaxSec}s), as CloudWatch requires`,
      });
    }
  });
export type AlarmTier = z.infer<typeof alarmTierSchema>;

/** How a route's loop count follows its queue. */
export const scalingSchema = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("alarm") }),
  z.strictObject({
    mode: z.literal("depth"),
    targetPerLoop: z.int().min(1),
    scaleInCooldownSec: z.int().min(0).default(60),
    /**
     * Add loops while the oldest message (`ApproximateAgeOfOldestMessage`) is older than this,
     * seconds, whatever the depth says: a slow trickle of old messages scales out too.
     */
    maxAgeSec: z.int().min(1).optional(),
  }),
]);
export type Scaling = z.infer<typeof scalingSchema>;

/**
 * What a created queue gets when the registry does not say. An imported queue keeps its own
 * settings: these never apply to it (the parsed config still carries them, so the type is one shape).
 */
export const createdQueueDefaults = {
  visibilityTimeoutSec: 180,
  retentionSec: 345_600,
  maxReceiveCount: 5,
} as const;

/** Keys that configure a queue the platform creates; refused on an imported queue. */
const createdQueueOnlyKeys = ["visibilityTimeoutSec", "retentionSec", "maxReceiveCount"] as const;

/**
 * A queue that a route drains: created by the platform (with a DLQ and redrive policy), or an
 * existing queue imported by ARN (any account and region) or by name (`import: true`: the stack's
 * own account and region). An imported queue is never created, changed or removed by the stack,
 * so the created-queue settings (`visibilityTimeoutSec`, `retentionSec`, `maxReceiveCount`) are
 * refused on it: its own attributes are what count.
 *
 * @example
 * { name: "orders", visibilityTimeoutSec: 60 }                      // created
 * { name: "legacy-orders", import: true }                           // imported by name
 * { name: "billing", arn: "arn:aws:sqs:eu-west-1:123456789012:billing" } // imported by ARN
 */
export const queueSchema = z
  .strictObject({
    name: z.string(),
    /** Import an existing queue by ARN instead of creating one. */
    arn: z
      .string()
      .regex(/^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, "must be an SQS queue ARN")
      .optional(),
    /** `true`: import the existing queue `name` of the stack's own account and region. */
    import: z.boolean().optional(),
    // Optional here, defaulted below: a created-queue setting given with an import must be seen to be refused.
    visibilityTimeoutSec: z.int().min(0).max(AwsLimits.sqsVisibilityMaxSec).optional(),
    retentionSec: z.int().min(AwsLimits.sqsRetentionMinSec).max(AwsLimits.sqsRetentionMaxSec).optional(),
    maxReceiveCount: z.int().min(1).max(AwsLimits.sqsMaxReceiveCountMax).optional(),
  })
  .superRefine((queue, ctx) => {
    if (!isQueueName(queue.name)) ctx.addIssue({ code: "custom", path: ["name"], message: queueNameRule });
    if (queue.arn !== undefined && !queue.arn.endsWith(`:${queue.name}`)) {
      ctx.addIssue({ code: "custom", path: ["arn"], message: `must end with ':${queue.name}'` });
    }
    if (queue.arn !== undefined && queue.import !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["import"],
        message:
          "give either 'arn' (imports the queue from any account and region) or 'import: true' (imports the queue of this name from the stack's own account and region), not both",
      });
    }
    if (queue.arn !== undefined || queue.import === true) {
      for (const key of createdQueueOnlyKeys) {
        if (queue[key] === undefined) continue;
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `applies only to a queue the platform creates; an imported queue keeps its own ${key === "maxReceiveCount" ? "redrive policy" : "attributes"}: remove '${key}' (or drop the import to create the queue)`,
        });
      }
    }
  })
  .transform((queue) => ({
    ...queue,
    visibilityTimeoutSec: queue.visibilityTimeoutSec ?? createdQueueDefaults.visibilityTimeoutSec,
    retentionSec: queue.retentionSec ?? createdQueueDefaults.retentionSec,
    maxReceiveCount: queue.maxReceiveCount ?? createdQueueDefaults.maxReceiveCount,
  }));
export type QueueConfig = z.infer<typeof queueSchema>;

/** Whether the platform imports the queue (by ARN or by name) rather than creating it. */
export function isImportedQueue(queue: Pick<QueueConfig, "arn" | "import">): boolean {
  return queue.arn !== undefined || queue.import === true;
}
