import type { SharedLoopEvent } from "../lease/sharedGroup.js";
import type { LoopEvent, TokenKey } from "../lease/token.js";
import type { Logger } from "../logger.js";
import type { SharedGroupsReport } from "./reconcileSharedGroups.js";

/** Work a run did not get to within its time box; the next run picks it up. */
export interface RestartLeftover {
  /** Stale tokens not claimed (the least stale ones: the stalest go first). */
  claims: number;
  /** Routes not reconciled. */
  routes: number;
  /** Tokens of removed routes not deleted. */
  orphans: number;
  /** Whether the token scan stopped before its last page. */
  scanIncomplete: boolean;
}

/** What one restart run did. */
export interface RestartReport {
  pages: number;
  scanned: number;
  /** Tokens found stale by this run's scan. */
  stale: number;
  /** Stale tokens this run claimed and started a new loop for. */
  claimed: LoopEvent[];
  /** Stale tokens another claimer won first, or whose loop heartbeat since the scan (nothing started). */
  claimLost: TokenKey[];
  /** Loops started for tokens reconcile created (below minLoops). */
  started: LoopEvent[];
  /** Tokens deleted: above maxLoops, or of a queue without a route. */
  deleted: TokenKey[];
  /** Stored routes that do not parse: the others are reconciled, orphan deletion is skipped. */
  unreadableRoutes: string[];
  /** Stored routes over the registry's loop limits, reconciled as clamped (`limitRoutes`), and why. */
  clamped: { queueName: string; reason: string }[];
  /** What the time box left for the next run. */
  left: RestartLeftover;
  /** Shared groups: stale ones claimed (new loop started), and what reconcile changed. */
  shared: { claimed: SharedLoopEvent[] } & Omit<SharedGroupsReport, "errors">;
  /** Failures that did not stop the run. */
  errors: { step: string; queueUrl?: string; token?: string; message: string }[];
}

/** A report of a run that did nothing yet: where a run starts counting. */
export function emptyRestartReport(): RestartReport {
  return {
    pages: 0,
    scanned: 0,
    stale: 0,
    claimed: [],
    claimLost: [],
    started: [],
    deleted: [],
    unreadableRoutes: [],
    clamped: [],
    left: { claims: 0, routes: 0, orphans: 0, scanIncomplete: false },
    shared: { claimed: [], started: [], joined: [], left: [], ended: [] },
    errors: [],
  };
}

/** Adds a failure that did not stop the run to the report, and logs it. */
export function recordFailure(
  report: RestartReport,
  logger: Pick<Logger, "error">,
  step: string,
  error: unknown,
  key?: Partial<TokenKey>,
): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const where = {
    ...(key?.queueUrl ? { queueUrl: key.queueUrl } : {}),
    ...(key?.token ? { token: key.token } : {}),
  };
  report.errors.push({ step, ...where, message });
  logger.error(`restart: ${step} failed`, { ...where, error: message });
}

/**
 * Logs the run's one summary line: warn when the time box left work for the next run.
 * `budgetMs` is logged only when finite (a run without a time box has none).
 */
export function logRestartSummary(
  report: RestartReport,
  logger: Pick<Logger, "info" | "warn">,
  elapsedMs: number,
  budgetMs: number,
): RestartReport {
  const { left } = report;
  const leftSomething = left.claims + left.routes + left.orphans > 0 || left.scanIncomplete;
  const fields = {
    pages: report.pages,
    scanned: report.scanned,
    stale: report.stale,
    claimed: report.claimed.length,
    claimLost: report.claimLost.length,
    started: report.started.length,
    deleted: report.deleted.length,
    unreadableRoutes: report.unreadableRoutes.length,
    clamped: report.clamped.length,
    errors: report.errors.length,
    elapsedMs,
    ...(Number.isFinite(budgetMs) ? { budgetMs } : {}),
    left,
  };
  if (leftSomething) logger.warn("restart: done, time box spent; left for the next run", fields);
  else logger.info("restart: done", fields);
  return report;
}
