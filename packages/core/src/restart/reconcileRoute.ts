import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { type QueueScalingLock, withLoopCountLock } from "../lease/loopCountLock.js";
import { addLoops } from "../lease/loops.js";
import type { LeaseStore, LoopStarter } from "../lease/ports.js";
import { dedicatedTokens } from "../lease/sharedGroup.js";
import type { TokenRecord } from "../lease/token.js";
import type { Logger } from "../logger.js";
import { clampLoopCount, type DesiredLoopCount, freeSlotIds } from "./reconcile.js";
import { type RestartReport, recordFailure } from "./restartReport.js";

/**
 * How long a loop-count lock reconcile takes lasts, ms, as the scale functions' does: a restart that
 * dies holding it blocks the queue's loop-count changes no longer than this.
 */
export const RECONCILE_LOCK_TTL_MS = 60_000;

/** What reconciling one route's dedicated loops runs over. */
export interface ReconcileRouteDeps {
  leases: LeaseStore;
  starter: LoopStarter;
  /** The per-queue lock scale-up and scale-down take (`lease/loopCountLock.ts`). */
  lock: QueueScalingLock;
  /** How long to wait for another holder of the queue's lock, ms (default 20 s; never past the deadline). */
  lockWaitMs?: number;
  clock: Pick<Clock, "now" | "sleep">;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  desiredLoopCount: DesiredLoopCount;
  /** Makes loopIds. */
  ids: () => string;
}

/**
 * Brings one route's dedicated loops to the count `desiredLoopCount` asks for (clamped to the
 * route's bounds), adding or deleting under the queue's loop-count lock; what it starts, deletes
 * and fails to start goes into `report`.
 */
export async function reconcileRoute(
  deps: ReconcileRouteDeps,
  route: Route,
  queueUrl: string,
  report: RestartReport,
  deadline: number,
): Promise<void> {
  const { leases, clock, logger } = deps;
  // A fresh consistent read, not the scan snapshot: scale functions may have changed it meanwhile.
  // The shared loop's member row is not one of the route's dedicated loops.
  const current = dedicatedTokens(await leases.listByQueue(queueUrl)).length;
  const desired = clampLoopCount(route, await deps.desiredLoopCount(route, current));
  if (desired === current) return;
  // The change is made under the queue's lock, which the scale functions take too, and counts
  // the tokens again once it holds it: a scale-up or scale-down may have run since the read above.
  const waitMs = Math.max(0, Math.min(deps.lockWaitMs ?? 20_000, deadline - clock.now()));
  await withLoopCountLock(
    { lock: deps.lock, clock, logger },
    queueUrl,
    { ttlMs: RECONCILE_LOCK_TTL_MS, waitMs },
    async () => {
      const tokens = dedicatedTokens(await leases.listByQueue(queueUrl));
      if (desired > current) await addToCount(deps, queueUrl, tokens, desired, report);
      else await deleteToCount(deps, queueUrl, tokens, desired, report);
    },
  );
}

/** Adds loops until the queue has `desired` (nothing when it has them already). */
async function addToCount(
  deps: ReconcileRouteDeps,
  queueUrl: string,
  tokens: TokenRecord[],
  desired: number,
  report: RestartReport,
): Promise<void> {
  const { leases, starter, clock, ids, logger } = deps;
  const current = tokens.length;
  if (desired <= current) return;
  const inUse = new Set(tokens.map((t) => t.token));
  const result = await addLoops({ leases, starter, clock, ids }, queueUrl, desired - current, {
    tokenIds: freeSlotIds(inUse, desired - current),
  });
  report.started.push(...result.started);
  for (const { event, error } of result.startFailed)
    recordFailure(report, logger, "start loop", error, event);
  if (result.started.length > 0) {
    logger.info("restart: added loops to reach the route's count", {
      queueUrl,
      current,
      desired,
      started: result.started.length,
    });
  }
}

/** Deletes loops until the queue has `desired` (nothing when it has no more). */
async function deleteToCount(
  deps: ReconcileRouteDeps,
  queueUrl: string,
  tokens: TokenRecord[],
  desired: number,
  report: RestartReport,
): Promise<void> {
  const current = tokens.length;
  if (desired >= current) return;
  // Deterministic choice (highest token ids first) so concurrent restarts delete the same extras.
  const extras = [...tokens].sort((a, b) => (a.token < b.token ? 1 : a.token > b.token ? -1 : 0));
  for (const token of extras.slice(0, current - desired)) {
    if (await deps.leases.delete(token)) report.deleted.push({ queueUrl, token: token.token });
  }
  deps.logger.info("restart: deleted loops above the route's count", { queueUrl, current, desired });
}
