import { randomUUID } from "node:crypto";
import { isSharedQuietRoute, type LoopLimitValues, limitRoutes, type Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import type { QueueScalingLock } from "../lease/loopCountLock.js";
import type { GroupStore, LeaseStore, LoopStarter } from "../lease/ports.js";
import { dedicatedTokens, isGroupLeaseRow, isMemberRow, type SharedLoopEvent } from "../lease/sharedGroup.js";
import type { TokenKey, TokenRecord } from "../lease/token.js";
import type { Logger } from "../logger.js";
import { listReadableRoutes } from "../routing/listReadableRoutes.js";
import type { RouteStore } from "../routing/ports.js";
import { claimStaleGroup } from "./claimStaleGroup.js";
import { claimStaleToken } from "./claimStaleToken.js";
import { type DesiredLoopCount, keepWithinBounds } from "./reconcile.js";
import { type ReconcileRouteDeps, reconcileRoute } from "./reconcileRoute.js";
import { reconcileSharedGroups } from "./reconcileSharedGroups.js";
import { emptyRestartReport, logRestartSummary, type RestartReport, recordFailure } from "./restartReport.js";
import { isStale, type StalenessSettings, staleSince } from "./staleness.js";
import { runPool } from "./workPool.js";

/** Claims, starts, reconciles and deletes a restart run keeps in flight at once, by default. */
export const DEFAULT_RESTART_CONCURRENCY = 32;

/**
 * The share of a run's time box that claiming stale tokens may use, so reconcile and orphan
 * deletion still get a turn after an incident left thousands of tokens stale.
 */
export const CLAIM_SHARE_OF_BUDGET = 0.7;

export interface RestartDeps {
  leases: LeaseStore;
  routes: Pick<RouteStore, "list">;
  starter: LoopStarter;
  /**
   * The per-queue lock scale-up and scale-down take (`lease/loopCountLock.ts`): reconcile adds and
   * deletes a route's loops under it, counting the route's tokens again once it holds it.
   */
  lock: QueueScalingLock;
  /** How long reconcile waits for another holder of a queue's lock, ms (default 20 s; never past the time box). */
  lockWaitMs?: number;
  clock: Pick<Clock, "now" | "sleep">;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  settings: StalenessSettings;
  /** The queue URL a route's tokens are keyed by (default `route.queueUrl`). */
  queueUrlOf?: (route: Route) => string;
  /** The hook depth mode plugs into; default {@link keepWithinBounds}. */
  desiredLoopCount?: DesiredLoopCount;
  /** Makes loopIds (and nothing else); default random UUIDs. */
  ids?: () => string;
  /** Store calls and loop starts in flight at once (default {@link DEFAULT_RESTART_CONCURRENCY}). */
  concurrency?: number;
  /**
   * Shared loops (docs/protocol.md, "Shared loops"): with it, a run also assigns the shared-quiet
   * routes to groups of `perLoop`, starts and ends groups' loops, and takes over stale groups.
   */
  shared?: { groups: GroupStore; starter: LoopStarter<SharedLoopEvent>; perLoop: number };
  /**
   * The registry's loop limits: every stored route is clamped to them (`limitRoutes`) before its
   * loops are counted, so a route written past them is not obeyed. Unset: routes are taken as stored.
   */
  limits?: LoopLimitValues;
}

/** Limits of one run. */
export interface RestartRunOptions {
  /**
   * The run's time box, ms (default: none). The Lambda handler passes the smaller of the restart
   * interval and the invocation's remaining time: what does not fit is left for the next run.
   */
  budgetMs?: number;
}

export interface Restart {
  run(options?: RestartRunOptions): Promise<RestartReport>;
}

/**
 * Creates the scheduled restart: claims stale tokens (each started by exactly one claimer,
 * the stalest first, in parallel), then reconciles every readable route's token count and
 * deletes the tokens of removed routes, all within the run's time box.
 *
 * @example
 * const report = await createRestart({ leases, routes, starter, clock, logger, settings }).run({ budgetMs: 55_000 });
 */
export function createRestart(deps: RestartDeps): Restart {
  const { leases, routes, starter, clock, logger, settings } = deps;
  const queueUrlOf = deps.queueUrlOf ?? ((route: Route) => route.queueUrl);
  const desiredLoopCount = deps.desiredLoopCount ?? keepWithinBounds;
  const ids = deps.ids ?? randomUUID;
  const concurrency = deps.concurrency ?? DEFAULT_RESTART_CONCURRENCY;
  const reconcileDeps: ReconcileRouteDeps = {
    leases,
    starter,
    lock: deps.lock,
    lockWaitMs: deps.lockWaitMs,
    clock,
    logger,
    desiredLoopCount,
    ids,
  };

  async function run(options: RestartRunOptions = {}): Promise<RestartReport> {
    const startedAt = clock.now();
    const budgetMs = options.budgetMs ?? Number.POSITIVE_INFINITY;
    const deadline = startedAt + budgetMs;
    const claimDeadline = startedAt + budgetMs * CLAIM_SHARE_OF_BUDGET;
    const expired = () => clock.now() >= deadline;
    // A pool starts no step the slowest of its steps so far would carry past the end of the box.
    const timed = (end: number) => ({
      now: clock.now,
      expired: (ahead: number) => clock.now() + ahead >= end,
    });

    const report = emptyRestartReport();
    const fail = (step: string, error: unknown, key?: Partial<TokenKey>) =>
      recordFailure(report, logger, step, error, key);
    const finish = () => logRestartSummary(report, logger, clock.now() - startedAt, budgetMs);

    // 1. Scan every page (consistent reads), keeping what the orphan check needs.
    const seen: TokenRecord[] = [];
    const pages = leases.scan()[Symbol.asyncIterator]();
    try {
      for (;;) {
        const page = await pages.next();
        if (page.done) break;
        report.pages++;
        report.scanned += page.value.length;
        seen.push(...page.value);
        if (!expired()) continue;
        // Out of time: one more step tells a scan that just ended (free: no further request)
        // from one that did not; what it fetched is kept, the rest is left for the next run.
        const more = await pages.next();
        if (!more.done) {
          report.pages++;
          report.scanned += more.value.length;
          seen.push(...more.value);
          report.left.scanIncomplete = true;
          await pages.return?.();
        }
        break;
      }
    } catch (error) {
      // Claims and reconcile go on with what was seen; orphans among them are still orphans.
      report.left.scanIncomplete = true;
      fail("scan", error);
    }

    // 2. Claim the stale ones, the stalest first, in parallel, within the claim share of the box.
    const now = clock.now();
    // Member rows hold no lease (their group's row does); a group without members is ended below.
    const claimable = seen.filter((row) =>
      isGroupLeaseRow(row) ? deps.shared !== undefined && (row.members?.length ?? 0) > 0 : !isMemberRow(row),
    );
    const stale = claimable
      .filter((token) => isStale(token, now, settings))
      .sort((a, b) => staleSince(a, settings) - staleSince(b, settings));
    report.stale = stale.length;
    const claims = await runPool({
      items: stale,
      concurrency,
      ...timed(claimDeadline),
      work: async (token) => {
        try {
          if (isGroupLeaseRow(token) && deps.shared) {
            const shared = await claimStaleGroup({ leases, starter: deps.shared.starter, clock, ids }, token);
            if (shared) {
              report.shared.claimed.push(shared);
              logger.info("restart: claimed a stale shared group and started its loop", {
                ...shared,
                previousLoopId: token.loopId,
                lastUsed: token.lastUsed,
                members: token.members?.length ?? 0,
              });
            } else {
              report.claimLost.push({ queueUrl: token.queueUrl, token: token.token });
            }
            return;
          }
          const event = await claimStaleToken({ leases, starter, clock, ids }, token);
          if (event) {
            report.claimed.push(event);
            logger.info("restart: claimed a stale token and started its loop", {
              ...event,
              previousLoopId: token.loopId,
              lastUsed: token.lastUsed,
            });
          } else {
            report.claimLost.push({ queueUrl: token.queueUrl, token: token.token });
          }
        } catch (error) {
          fail("claim", error, token);
        }
      },
    });
    report.left.claims = claims.left.length;

    // 3. Reconcile every route that parses; one corrupt stored route does not stop the others.
    let routeList: Route[];
    try {
      const readable = await listReadableRoutes(routes);
      routeList = deps.limits ? limitRoutes(readable.routes, deps.limits) : readable.routes;
      for (const route of routeList as (Route & { clamped?: string })[]) {
        if (route.clamped === undefined) continue;
        report.clamped.push({ queueName: route.queueName, reason: route.clamped });
        logger.warn(`restart: route over the loop limits, reconciled as ${route.clamped}`, {
          queueUrl: queueUrlOf(route),
          minLoops: route.minLoops,
          maxLoops: route.maxLoops,
        });
      }
      report.unreadableRoutes = readable.unreadable.map((u) => u.key);
      if (readable.unreadable.length > 0) {
        logger.error("restart: stored routes that do not parse; orphan deletion skipped until repaired", {
          unreadable: readable.unreadable,
          fix: "repair or remove them with `dispatcher routes set` or `dispatcher routes rm`",
        });
      }
    } catch (error) {
      // Never delete tokens when the routes are unknown.
      fail("list routes", error);
      return finish();
    }

    // 3a. Shared groups first, whatever the time box left: one plan, a few writes, and what keeps
    // every quiet route polled. From a complete scan only: a missing row would read as a member to move.
    if (deps.shared && !report.left.scanIncomplete) {
      const quiet = routeList.filter(isSharedQuietRoute).map(queueUrlOf);
      const groups = await reconcileSharedGroups(
        { groups: deps.shared.groups, starter: deps.shared.starter, clock, ids },
        quiet,
        seen,
        deps.shared.perLoop,
        report.unreadableRoutes.length === 0,
      );
      const { errors, ...changes } = groups;
      Object.assign(report.shared, changes);
      for (const e of errors) fail(e.step, e.error, { queueUrl: e.queueUrl ?? `group ${e.group}` });
      if (changes.started.length + changes.joined.length + changes.left.length + changes.ended.length > 0) {
        logger.info("restart: shared groups reconciled", {
          started: changes.started,
          joined: changes.joined.length,
          left: changes.left.length,
          ended: changes.ended,
        });
      }
    }

    // 3b. Every readable route's dedicated loops.
    const reconciled = await runPool({
      items: routeList,
      concurrency,
      ...timed(deadline),
      work: async (route) => {
        const queueUrl = queueUrlOf(route);
        try {
          await reconcileRoute(reconcileDeps, route, queueUrl, report, deadline);
        } catch (error) {
          fail("reconcile", error, { queueUrl });
        }
      },
    });
    report.left.routes = reconciled.left.length;

    // 4. Delete the tokens of removed routes, only when the route list is complete.
    if (report.unreadableRoutes.length === 0) {
      const routedUrls = new Set(routeList.map(queueUrlOf));
      // Member and group rows are the shared groups' reconcile's to remove.
      const orphans = dedicatedTokens(seen).filter((token) => !routedUrls.has(token.queueUrl));
      const deletions = await runPool({
        items: orphans,
        concurrency,
        ...timed(deadline),
        work: async (token) => {
          try {
            if (await leases.delete(token)) {
              report.deleted.push({ queueUrl: token.queueUrl, token: token.token });
              logger.info("restart: deleted a token of a queue without a route", { ...token });
            }
          } catch (error) {
            fail("delete orphan", error, token);
          }
        },
      });
      report.left.orphans = deletions.left.length;
    }

    return finish();
  }

  return { run };
}
