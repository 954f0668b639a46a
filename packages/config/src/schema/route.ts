import { z } from "zod";
import { filtersSchema } from "../filterPattern.js";
import { functionRefRule, parseFunctionRef } from "../functionRef.js";
import { AwsLimits, PlatformLimits } from "../limits.js";
import { platformHandlerProblem } from "../naming.js";
import { checkNoMatchTarget, noMatchActionSchema } from "../noMatchAction.js";
import { queueUrlProblem } from "../queueUrl.js";
import { AlarmMetric, type AlarmTier, alarmTierSchema, queueSchema, scalingSchema } from "./leaf.js";

/** Most batches in flight per loop (Lambda's provisioned-mode poller does up to 10 concurrent invokes). */
export const routeConcurrencyMax = 10;
/** Batches in flight per loop when a route does not say (docs/protocol.md says why this number). */
export const defaultRouteConcurrency = 4;

/** How a quiet route waits: see `idle` in the route shape. */
export const idleModeSchema = z.enum(["shared", "sleep"]);
export type IdleMode = z.infer<typeof idleModeSchema>;

const loopCeilingMessage = `must be at most ${PlatformLimits.maxLoopsPerRouteCeiling}, the platform's ceiling per route (limits.maxLoopsPerRoute may set a lower one)`;

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

const storedLoopCeilingMessage = `must be at most ${PlatformLimits.maxLoopsTotalCeiling}, the highest limits.maxLoopsTotal a registry may set`;
/**
 * A stored route's loop counts are bounded loosely: whoever writes the store (by hand in SSM, or
 * past the CLI) is not obeyed past the registry's `limits`, which restart, scale-up and the
 * console clamp every stored route to at run time (`limitRoutes`), flagging it in status.
 */
const storedLoopCount = (min: number, fallback: number) =>
  z.int().min(min).max(PlatformLimits.maxLoopsTotalCeiling, storedLoopCeilingMessage).default(fallback);

/**
 * A route as the route store holds it at run time (SSM parameter or DynamoDB item):
 * the queue by name and URL, and the deployed function to invoke.
 */
export const routeSchema = z
  .strictObject({
    queueName: z.string().min(1),
    /** Checked with `queueUrlProblem`: an SQS endpoint (or the local edge) ending in `/<account>/<queueName>`. */
    queueUrl: z.string(),
    /** The function's name or ARN (qualified or not), passed to Invoke as `FunctionName`. */
    functionName: z
      .string()
      .refine((ref) => parseFunctionRef(ref) !== undefined, { message: functionRefRule }),
    ...routeShape,
    minLoops: storedLoopCount(0, 1),
    maxLoops: storedLoopCount(1, 1),
    scaleStep: storedLoopCount(1, 1),
    /** Where the route came from: the registry by a deploy, or an edit at run time. */
    source: z.enum(["deploy", "edit"]).default("deploy"),
    updatedAt: z.int().min(0).default(0),
  })
  .superRefine((route, ctx) => {
    checkRouteBounds(route, route.queueName, ctx);
    const problem = queueUrlProblem(route.queueUrl, route.queueName);
    if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["queueUrl"], message: problem });
    const platform = platformHandlerProblem(route.functionName);
    if (platform !== undefined) ctx.addIssue({ code: "custom", path: ["functionName"], message: platform });
  });
export type Route = z.infer<typeof routeSchema>;
export type RouteInput = z.input<typeof routeSchema>;
