import type { Clock } from "../clock.js";
import { LeaseLossReason } from "../errors.js";
import type { LoopStarter } from "../lease/ports.js";
import { type MetricsSink, PollerMetric } from "../metrics/ports.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import type { BatchSlots } from "./batchSlots.js";
import type { LoopInvocation } from "./loopInvocation.js";
import { type LoopOutcome, LoopOutcomeStatus } from "./loopOutcome.js";
import { recurse } from "./recurse.js";

export interface EndOfInvocationDeps {
  starter: LoopStarter;
  clock: Clock;
  retry: BackoffPolicy;
  metrics: MetricsSink;
  /** The queue the loop's metrics are counted under. */
  queueName: string;
  marginMs: number;
}

const lossStatus = {
  [LeaseLossReason.Revoked]: LoopOutcomeStatus.Revoked,
  [LeaseLossReason.TakenOver]: LoopOutcomeStatus.TakenOver,
  [LeaseLossReason.Superseded]: LoopOutcomeStatus.Superseded,
} as const satisfies Record<LeaseLossReason, LoopOutcomeStatus>;

/**
 * The end of an invocation, once its lanes start no more batches: the batches in flight finish
 * and delete what succeeded whatever ended the loop (they were received under a verified lease,
 * and message safety rests on visibility, not on the lease); a loop that still holds its lease
 * goes on renewing meanwhile, so a long handler at the end of an invocation never lets the token
 * go stale. Then the loop recurses (docs/protocol.md, "Recurse") unless its lease was lost or the tokens
 * table is unusable.
 */
export async function endInvocation(
  deps: EndOfInvocationDeps,
  invocation: LoopInvocation,
  slots: readonly BatchSlots[],
): Promise<LoopOutcome> {
  const { clock, metrics, queueName } = deps;
  const { log, outcome } = invocation;
  const unfinished = () => slots.reduce((sum, s) => sum + s.unfinished(), 0);
  while (unfinished() > 0) {
    const ms = invocation.ended() === undefined ? invocation.msUntilRenewal() : Number.POSITIVE_INFINITY;
    if (ms === 0) {
      await invocation.renewIfDue();
      continue;
    }
    const woken = new AbortController();
    await Promise.race([
      Promise.all(slots.map((s) => s.allFinished())),
      ...(Number.isFinite(ms) ? [clock.sleep(ms, woken.signal)] : []),
    ]);
    woken.abort();
  }

  const ended = invocation.ended();
  if (ended === "unusable") return { ...outcome, status: LoopOutcomeStatus.StoreUnusable };
  if (ended !== undefined && ended !== "unverified") {
    log.info("lease lost; loop ends without recursing", { reason: ended });
    metrics.add(queueName, PollerMetric.LeaseLosses, 1);
    metrics.flush();
    return { ...outcome, status: lossStatus[ended] };
  }
  const recursed = await recurse(
    {
      starter: deps.starter,
      clock,
      retry: deps.retry,
      logger: log,
      remainingTimeMs: invocation.remainingMs,
      reserveMs: Math.min(250, deps.marginMs / 4),
    },
    invocation.event,
  );
  if (recursed) metrics.add(queueName, PollerMetric.Recursions, 1);
  metrics.flush();
  return { ...outcome, status: recursed ? LoopOutcomeStatus.Recursed : LoopOutcomeStatus.RecursionFailed };
}
