import { z } from "zod";
import { filtersSchema } from "./filterPattern.js";
import { AwsLimits, lambdaReservedEnvironmentKeys, PlatformLimits } from "./limits.js";
import { checkNoMatchTarget, NoMatchKind, noMatchActionSchema, parseNoMatchAction } from "./noMatchAction.js";
import { queueUrlProblem } from "./queueUrl.js";

const queueNamePattern = /^[A-Za-z0-9_-]{1,80}$/;
const fifoQueueNamePattern = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
const functionNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

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
    const fifo = queue.name.endsWith(".fifo");
    const ok = fifo ? fifoQueueNamePattern.test(queue.name) : queueNamePattern.test(queue.name);
    if (!ok) {
      ctx.addIssue({
        code: "custom",
        path: ["name"],
        message:
          "must be 1-80 characters of letters, digits, '-' or '_' (a FIFO queue's name ends in '.fifo')",
      });
    }
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

/** Most batches in flight per loop (Lambda's provisioned-mode poller does up to 10 concurrent invokes). */
export const routeConcurrencyMax = 10;
/** Batches in flight per loop when a route does not say (docs/protocol.md says why this number). */
export const defaultRouteConcurrency = 4;

const loopCeilingMessage = `must be at most ${PlatformLimits.maxLoopsPerRouteCeiling}, the platform's ceiling per route (limits.maxLoopsPerRoute may set a lower one)`;

/** How a quiet route waits: see `idle` in the route shape. */
export const idleModeSchema = z.enum(["shared", "sleep"]);
export type IdleMode = z.infer<typeof idleModeSchema>;

/** Loop-count bounds and batch shape shared by the registry route and the stored route. */
const routeShape = {
  /**
   * Most records in one handler invoke, as Lambda's `BatchSize`: up to 10 on a FIFO queue, up
   * to 10,000 on a standard queue, where more than 10 needs a batching window.
   */
  batchSize: z.int().min(1).max(AwsLimits.standardBatchMax).default(10),
  /**
   * How long a loop gathers receives into one batch, seconds (Lambda's
   * `MaximumBatchingWindowInSeconds`); 0 hands each receive to the handler at once. Standard queues only.
   */
  batchWindowSec: z.int().min(0).max(AwsLimits.batchWindowMaxSec).default(0),
  /** Batches in the handler at once per loop; the route's handler concurrency is loops × this. */
  concurrency: z.int().min(1).max(routeConcurrencyMax).default(defaultRouteConcurrency),
  minLoops: z.int().min(0).max(PlatformLimits.maxLoopsPerRouteCeiling, loopCeilingMessage).default(1),
  /** Bounded here as well as by the registry's `limits`: restart builds one slot id per loop. */
  maxLoops: z.int().min(1).max(PlatformLimits.maxLoopsPerRouteCeiling, loopCeilingMessage).default(1),
  /** Loops one ALARM adds; at most `maxLoops`. */
  scaleStep: z.int().min(1).max(PlatformLimits.maxLoopsPerRouteCeiling, loopCeilingMessage).default(1),
  alarms: z.array(alarmTierSchema).default([]),
  scaling: scalingSchema.default({ mode: "alarm" }),
  paused: z.boolean().default(false),
  /**
   * Lambda `FilterCriteria` patterns (ORed, at most 10): only messages matching one reach the
   * handler. Unset or empty: every message does. See docs/registry.md for the operators.
   */
  filters: filtersSchema.optional(),
  /**
   * What happens to a message that matches no filter: `delete` (Lambda's behaviour, the default),
   * `forward:<queue>` (sent to that queue with its attributes, then deleted) or
   * `invoke:<function>` (a second handler of the registry). Unset means `delete`.
   */
  onNoMatch: noMatchActionSchema.optional(),
  /** Messages per second the route receives at most, across all its loops. Unset: no limit. */
  maxRate: z.number().positive().max(100_000).optional(),
  /**
   * How a quiet route (`minLoops: 0`) waits for messages while it has no dedicated loop: `shared`
   * (a shared loop long-polls it with other quiet routes: a first message within a long poll) or
   * `sleep` (nothing polls it until restart finds its queue not empty: up to a restart interval).
   * Ignored while `minLoops` is above 0.
   */
  idle: idleModeSchema.default("shared"),
};

function checkRouteBounds(
  route: {
    minLoops: number;
    maxLoops: number;
    scaleStep: number;
    alarms: AlarmTier[];
    batchSize: number;
    batchWindowSec: number;
    onNoMatch?: string | undefined;
  },
  queueName: string,
  ctx: z.RefinementCtx,
): void {
  if (route.onNoMatch !== undefined) checkNoMatchTarget(route.onNoMatch, queueName, ["onNoMatch"], ctx);
  if (queueName.endsWith(".fifo")) {
    if (route.batchSize > AwsLimits.sqsBatchMax) {
      ctx.addIssue({
        code: "custom",
        path: ["batchSize"],
        message: `a FIFO queue's batchSize is at most ${AwsLimits.sqsBatchMax} (${route.batchSize}), as with Lambda's event source`,
      });
    }
    if (route.batchWindowSec > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["batchWindowSec"],
        message:
          "a FIFO queue takes no batching window (batchWindowSec must be 0), as with Lambda's event source",
      });
    }
  } else if (route.batchSize > AwsLimits.sqsBatchMax && route.batchWindowSec < 1) {
    ctx.addIssue({
      code: "custom",
      path: ["batchWindowSec"],
      message: `a batchSize above ${AwsLimits.sqsBatchMax} (${route.batchSize}) needs a batching window: set batchWindowSec to at least 1`,
    });
  }
  if (route.minLoops > route.maxLoops) {
    ctx.addIssue({
      code: "custom",
      path: ["minLoops"],
      message: `minLoops (${route.minLoops}) must not exceed maxLoops (${route.maxLoops})`,
    });
  }
  if (route.scaleStep > route.maxLoops) {
    ctx.addIssue({
      code: "custom",
      path: ["scaleStep"],
      message: `scaleStep (${route.scaleStep}) must not exceed maxLoops (${route.maxLoops})`,
    });
  }
  route.alarms.forEach((tier, i) => {
    // Thresholds rise within one metric: depth tiers (messages) and age tiers (seconds) stagger apart.
    const metric = tier.metric ?? AlarmMetric.Depth;
    const previous = route.alarms.slice(0, i).findLast((t) => (t.metric ?? AlarmMetric.Depth) === metric);
    if (previous && tier.threshold <= previous.threshold) {
      ctx.addIssue({
        code: "custom",
        path: ["alarms", i, "threshold"],
        message: `alarm tiers must have rising thresholds (${tier.threshold} <= ${previous.threshold})`,
      });
    }
    if (tier.datapointsToAlarm !== undefined && tier.datapointsToAlarm > tier.evaluationPeriods) {
      ctx.addIssue({
        code: "custom",
        path: ["alarms", i, "datapointsToAlarm"],
        message: "datapointsToAlarm must not exceed evaluationPeriods",
      });
    }
  });
}

/** A route as the registry declares it: a queue and the registry function that handles it. */
export const routeConfigSchema = z
  .strictObject({ queue: queueSchema, function: z.string(), ...routeShape })
  .superRefine((route, ctx) => checkRouteBounds(route, route.queue.name, ctx));
export type RouteConfig = z.infer<typeof routeConfigSchema>;

/**
 * A route as the route store holds it at run time (SSM parameter or DynamoDB item):
 * the queue by name and URL, and the deployed function to invoke.
 */
export const routeSchema = z
  .strictObject({
    queueName: z.string().min(1),
    /** Checked with `queueUrlProblem`: an SQS endpoint (or the local edge) ending in `/<account>/<queueName>`. */
    queueUrl: z.string(),
    functionName: z.string().regex(functionNamePattern, "must be a Lambda function name"),
    ...routeShape,
    /** Where the route came from: the registry by a deploy, or an edit at run time. */
    source: z.enum(["deploy", "edit"]).default("deploy"),
    updatedAt: z.int().min(0).default(0),
  })
  .superRefine((route, ctx) => {
    checkRouteBounds(route, route.queueName, ctx);
    const problem = queueUrlProblem(route.queueUrl, route.queueName);
    if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["queueUrl"], message: problem });
  });
export type Route = z.infer<typeof routeSchema>;
export type RouteInput = z.input<typeof routeSchema>;

/** The most quiet routes one shared loop may poll (its sockets and route reads grow with it). */
export const sharedQueuesPerLoopMax = 100;
/** Quiet routes per shared loop by default (docs/protocol.md, "Shared loops"). */
export const defaultSharedQueuesPerLoop = 20;

export const pollerSchema = z.strictObject({
  /** The poller function's timeout: one invocation runs cycles until this nears. */
  timeoutSec: z.int().min(10).max(AwsLimits.lambdaTimeoutMaxSec).default(900),
  memoryMb: z.int().min(AwsLimits.lambdaMemoryMinMb).max(AwsLimits.lambdaMemoryMaxMb).default(512),
  /** Long-poll wait of each ReceiveMessage. */
  waitTimeSec: z.int().min(0).max(AwsLimits.sqsWaitTimeMaxSec).default(20),
  /** Slack kept beyond one full cycle before the invocation recurses. */
  marginSec: z.int().min(1).default(5),
  /**
   * A loop renews its lease when this long has passed since its last verified renewal (and
   * before any receive after that). `renewEverySec + waitTimeSec + the longest batching window +
   * marginSec` must stay below restart's `staleAfterSec`.
   */
  renewEverySec: z.int().min(1).max(600).default(60),
  /** How long a resolved route is cached by a loop; bounds how long an edit takes to apply. */
  routeCacheTtlSec: z.int().min(0).max(300).default(10),
  /**
   * Quiet routes one shared loop long-polls at once (docs/protocol.md, "Shared loops", says why
   * this default): each member holds one long poll and may have a delete in flight, and the loop's
   * SQS client gets sockets for both.
   */
  sharedQueuesPerLoop: z.int().min(1).max(sharedQueuesPerLoopMax).default(defaultSharedQueuesPerLoop),
});
export type PollerConfig = z.infer<typeof pollerSchema>;

export const restartSchema = z.strictObject({
  intervalSec: z.int().min(1).default(60),
  /** A token whose heartbeat is older than this is stale and gets claimed. */
  staleAfterSec: z.int().min(1).default(960),
  /** A token that never heartbeat is stale only after this long since it was created. */
  startGraceSec: z.int().min(1).default(120),
});
export type RestartConfig = z.infer<typeof restartSchema>;

export const routeStoreKindSchema = z.enum(["ssm", "dynamodb"]);
export type RouteStoreKind = z.infer<typeof routeStoreKindSchema>;

/** Settings that differ on the local cloud (shorter timeouts so a laptop sees loops turn over). */
export const localOverridesSchema = z.strictObject({
  poller: pollerSchema.partial().default({}),
  restart: restartSchema.partial().default({}),
  routeStore: routeStoreKindSchema.optional(),
});

/** The platform's named ceilings on loops (docs/limits.md). */
export const loopLimitsSchema = z.strictObject({
  /** The most loops one route may have (`maxLoops`). */
  maxLoopsPerRoute: z
    .int()
    .min(1)
    .max(PlatformLimits.maxLoopsPerRouteCeiling)
    .default(PlatformLimits.defaultMaxLoopsPerRoute),
  /**
   * The most handler invocations the platform may run at once: the sum over routes of
   * `maxLoops × concurrency`. Keep it inside the account's Lambda concurrency.
   */
  maxLoopsTotal: z
    .int()
    .min(1)
    .max(PlatformLimits.maxLoopsTotalCeiling)
    .default(PlatformLimits.defaultMaxLoopsTotal),
});
export type LoopLimits = z.infer<typeof loopLimitsSchema>;

/** What {@link loopLimitIssues} needs of a route. */
export interface LoopBudget {
  queueName: string;
  maxLoops: number;
  concurrency: number;
}

/**
 * The registry's loop limits applied to a set of routes (the registry's own, or the stored routes
 * with an edit applied, as `routes set` checks them). Each issue names the route (by its index in
 * `routes`) or, for the total, every route that counts towards it, largest first.
 */
export function loopLimitIssues(
  routes: readonly LoopBudget[],
  limits: LoopLimits,
): { index?: number; field: "maxLoops"; message: string }[] {
  const issues: { index?: number; field: "maxLoops"; message: string }[] = [];
  routes.forEach((route, index) => {
    if (route.maxLoops > limits.maxLoopsPerRoute) {
      issues.push({
        index,
        field: "maxLoops",
        message: `maxLoops (${route.maxLoops}) of queue '${route.queueName}' exceeds limits.maxLoopsPerRoute (${limits.maxLoopsPerRoute}); lower maxLoops or raise limits.maxLoopsPerRoute in dispatcher.config.ts`,
      });
    }
  });
  const total = routes.reduce((sum, r) => sum + r.maxLoops * r.concurrency, 0);
  if (total > limits.maxLoopsTotal) {
    const parts = [...routes]
      .sort((a, b) => b.maxLoops * b.concurrency - a.maxLoops * a.concurrency)
      .map((r) => `${r.queueName} ${r.maxLoops}×${r.concurrency}`);
    issues.push({
      field: "maxLoops",
      message: `the routes' maxLoops × concurrency add up to ${total} (${parts.join(", ")}), above limits.maxLoopsTotal (${limits.maxLoopsTotal}); lower maxLoops or concurrency, or raise limits.maxLoopsTotal within the account's Lambda concurrency`,
    });
  }
  return issues;
}

/** A `routableQueues` entry: a queue name, or a name prefix ending in `*`. */
const routableQueuePattern = /^(?:[A-Za-z0-9_-]{1,80}(?:\.fifo)?|[A-Za-z0-9_-]{1,79}\*)$/;

/**
 * Whether run-time routes may target `queueName`: every queue the registry routes, and those that
 * `routableQueues` names or prefixes (the stack grants the poller exactly these).
 */
export function isRoutableQueue(
  registry: Pick<Registry, "routes" | "routableQueues">,
  queueName: string,
): boolean {
  if (registry.routes.some((r) => r.queue.name === queueName)) return true;
  return registry.routableQueues.some((entry) =>
    entry.endsWith("*") ? queueName.startsWith(entry.slice(0, -1)) : entry === queueName,
  );
}

export const registrySchema = z
  .strictObject({
    app: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be lowercase letters, digits and '-'"),
    functions: z.record(
      z.string().regex(functionNamePattern, "must be a Lambda function name"),
      functionSchema,
    ),
    routes: z.array(routeConfigSchema).default([]),
    poller: pollerSchema.default(pollerSchema.parse({})),
    restart: restartSchema.default(restartSchema.parse({})),
    routeStore: z
      .strictObject({
        default: routeStoreKindSchema.default("ssm"),
        stages: z.record(z.string(), routeStoreKindSchema).default({}),
      })
      .default({ default: "ssm", stages: {} }),
    local: localOverridesSchema.default({ poller: {}, restart: {} }),
    limits: loopLimitsSchema.default(loopLimitsSchema.parse({})),
    /**
     * Queues that run-time routes (`dispatcher routes set`) may target besides the registry's own:
     * names, or name prefixes ending in `*` (`"reports-*"`). On AWS the poller's role is granted exactly
     * these, so a route to any other queue would only ever get AccessDenied.
     */
    routableQueues: z
      .array(
        z
          .string()
          .regex(
            routableQueuePattern,
            "must be a queue name, or a name prefix ending in '*' (letters, digits, '-' or '_')",
          ),
      )
      .default([]),
    /**
     * Deploy the example handlers (packages/functions/src/handlers/, which obey `sleepMs`/`fail`/`crash`
     * in message bodies) and their `processed` table to AWS. Off by default: they are for the local cloud.
     */
    examples: z.boolean().default(false),
  })
  .superRefine((registry, ctx) => {
    const seen = new Set<string>();
    registry.routes.forEach((route, i) => {
      const fn = registry.functions[route.function];
      // Only a created queue's visibility timeout is the registry's: an imported queue's owner must keep
      // it at least the handler's timeout (docs/deploy.md says so).
      if (!fn) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "function"],
          message: `names function '${route.function}', which the registry does not declare (declared: ${Object.keys(registry.functions).join(", ") || "none"})`,
        });
      } else if (!isImportedQueue(route.queue) && route.queue.visibilityTimeoutSec < fn.timeoutSec) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "queue", "visibilityTimeoutSec"],
          message: `queue visibility timeout (${route.queue.visibilityTimeoutSec}s) must be at least the timeout of function '${route.function}' (${fn.timeoutSec}s), as Lambda requires`,
        });
      } else if (
        !isImportedQueue(route.queue) &&
        route.batchWindowSec > 0 &&
        route.queue.visibilityTimeoutSec < fn.timeoutSec + route.batchWindowSec
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "batchWindowSec"],
          message: `a batching window of ${route.batchWindowSec}s plus the timeout of function '${route.function}' (${fn.timeoutSec}s) does not fit the queue's visibility timeout (${route.queue.visibilityTimeoutSec}s): shorten the window or raise visibilityTimeoutSec to at least ${fn.timeoutSec + route.batchWindowSec}`,
        });
      }
      const noMatch = route.onNoMatch === undefined ? undefined : parseNoMatchAction(route.onNoMatch);
      const noMatchFn =
        noMatch?.kind === NoMatchKind.Invoke ? registry.functions[noMatch.functionName] : undefined;
      if (noMatch?.kind === NoMatchKind.Invoke && noMatchFn === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "onNoMatch"],
          message: `invokes function '${noMatch.functionName}', which the registry does not declare (declared: ${Object.keys(registry.functions).join(", ") || "none"})`,
        });
      } else if (
        noMatch?.kind === NoMatchKind.Invoke &&
        noMatchFn !== undefined &&
        !isImportedQueue(route.queue) &&
        route.queue.visibilityTimeoutSec < noMatchFn.timeoutSec
      ) {
        // Its messages stay invisible only for the queue's visibility timeout while it runs.
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "onNoMatch"],
          message: `queue visibility timeout (${route.queue.visibilityTimeoutSec}s) must be at least the timeout of function '${noMatch.functionName}' (${noMatchFn.timeoutSec}s), which onNoMatch invokes`,
        });
      }
      if (seen.has(route.queue.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "queue", "name"],
          message: `queue '${route.queue.name}' is routed twice`,
        });
      }
      seen.add(route.queue.name);
    });
    for (const issue of loopLimitIssues(
      registry.routes.map((r) => ({
        queueName: r.queue.name,
        maxLoops: r.maxLoops,
        concurrency: r.concurrency,
      })),
      registry.limits,
    )) {
      ctx.addIssue({
        code: "custom",
        path: issue.index === undefined ? ["limits", "maxLoopsTotal"] : ["routes", issue.index, issue.field],
        message: issue.message,
      });
    }
    checkReservedConcurrency(registry, ctx);
    const longestWindowSec = Math.max(0, ...registry.routes.map((r) => r.batchWindowSec));
    checkRenewalFitsStaleness(registry.poller, registry.restart, longestWindowSec, [], ctx);
    checkNoMatchInvokeFitsStaleness(registry, longestWindowSec, ctx);
    checkRenewalFitsStaleness(
      { ...registry.poller, ...registry.local.poller },
      { ...registry.restart, ...registry.local.restart },
      longestWindowSec,
      ["local"],
      ctx,
    );
  });

/**
 * A function's reserved concurrency must admit one loop's batches in flight (the route's
 * `concurrency`): below that, the route's own loop throttles itself on every cycle.
 */
function checkReservedConcurrency(
  registry: { functions: Record<string, FunctionConfig>; routes: RouteConfig[] },
  ctx: z.RefinementCtx,
): void {
  registry.routes.forEach((route, i) => {
    const reserved = registry.functions[route.function]?.reservedConcurrency;
    if (reserved === undefined || reserved >= route.concurrency) return;
    ctx.addIssue({
      code: "custom",
      path: ["functions", route.function, "reservedConcurrency"],
      message: `reservedConcurrency (${reserved}) of function '${route.function}' must be at least the concurrency (${route.concurrency}) of the route of queue '${route.queue.name}' (routes[${i}]), or every loop throttles itself`,
    });
  });
}

/**
 * What the registry allows but will likely hurt, for the deploy to print: a function whose reserved
 * concurrency is below what its routes may run at once (`maxLoops × concurrency` summed) throttles
 * once scaling reaches that many loops.
 */
export function registryWarnings(registry: Registry): string[] {
  const warnings: string[] = [];
  for (const [name, fn] of Object.entries(registry.functions)) {
    if (fn.reservedConcurrency === undefined) continue;
    const routes = registry.routes.filter((r) => r.function === name);
    const peak = routes.reduce((sum, r) => sum + r.maxLoops * r.concurrency, 0);
    if (peak > fn.reservedConcurrency) {
      warnings.push(
        `function '${name}' has reservedConcurrency ${fn.reservedConcurrency}, below what its routes may run at once (${routes.map((r) => `${r.queue.name} ${r.maxLoops}×${r.concurrency}`).join(" + ")} = ${peak}): batches will be throttled at the top of scaling`,
      );
    }
  }
  return warnings;
}

/**
 * DESIGN.md step 1: a loop renews at most `renewEverySec` after its last verified renewal, plus
 * one full cycle when that moment falls inside one, plus the margin: all of it must pass before
 * restart would call the token stale. A loop's cycle between two renewal checks is one receive (a
 * long poll and the batching window): handlers run while the loop keeps renewing on its timer,
 * also while it waits for its last batches before recursing (docs/protocol.md).
 */
function checkRenewalFitsStaleness(
  poller: PollerConfig,
  restart: RestartConfig,
  longestWindowSec: number,
  path: string[],
  ctx: z.RefinementCtx,
): void {
  const worstGapSec = poller.renewEverySec + poller.waitTimeSec + longestWindowSec + poller.marginSec;
  if (worstGapSec < restart.staleAfterSec) return;
  const where = path.length ? `${path.join(".")} ` : "";
  ctx.addIssue({
    code: "custom",
    path: [...path, "restart", "staleAfterSec"],
    message: `${where}restart.staleAfterSec (${restart.staleAfterSec}s) must exceed the longest gap between lease renewals: poller.renewEverySec (${poller.renewEverySec}) + poller.waitTimeSec (${poller.waitTimeSec}) + the longest batching window (${longestWindowSec}) + poller.marginSec (${poller.marginSec}) = ${worstGapSec}s; raise staleAfterSec above ${worstGapSec} or lower renewEverySec`,
  });
}
/**
 * `onNoMatch: "invoke:<function>"` runs the no-match function while the loop is receiving (the
 * filters apply to what a receive returns), so that function's timeout adds to the longest gap
 * between two renewals; it must still leave the token fresh, on AWS and locally.
 */
function checkNoMatchInvokeFitsStaleness(
  registry: {
    functions: Record<string, { timeoutSec: number }>;
    routes: { onNoMatch?: string | undefined }[];
    poller: PollerConfig;
    restart: RestartConfig;
    local: { poller: Partial<PollerConfig>; restart: Partial<RestartConfig> };
  },
  longestWindowSec: number,
  ctx: z.RefinementCtx,
): void {
  registry.routes.forEach((route, i) => {
    const action = route.onNoMatch === undefined ? undefined : parseNoMatchAction(route.onNoMatch);
    if (action?.kind !== NoMatchKind.Invoke) return;
    const fn = registry.functions[action.functionName];
    if (fn === undefined) return;
    for (const [where, poller, restart] of [
      ["", registry.poller, registry.restart],
      [
        "local ",
        { ...registry.poller, ...registry.local.poller },
        { ...registry.restart, ...registry.local.restart },
      ],
    ] as const) {
      const gapSec =
        poller.renewEverySec + poller.waitTimeSec + longestWindowSec + poller.marginSec + fn.timeoutSec;
      if (gapSec < restart.staleAfterSec) continue;
      ctx.addIssue({
        code: "custom",
        path: ["routes", i, "onNoMatch"],
        message: `${where}restart.staleAfterSec (${restart.staleAfterSec}s) must exceed the longest gap between lease renewals plus the timeout of function '${action.functionName}' (${fn.timeoutSec}s), which onNoMatch invokes while the loop receives: ${gapSec}s; give that function a shorter timeout or raise staleAfterSec`,
      });
    }
  });
}

export type Registry = z.infer<typeof registrySchema>;
export type RegistryInput = z.input<typeof registrySchema>;
