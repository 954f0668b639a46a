import { z } from "zod";
import { AwsLimits } from "../limits.js";

/** The most quiet routes one shared loop may poll (its sockets and route reads grow with it). */
export const sharedQueuesPerLoopMax = 100;
/** Quiet routes per shared loop by default (docs/protocol.md, "Shared loops"). */
export const defaultSharedQueuesPerLoop = 50;

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
