import { randomUUID } from "node:crypto";
import type { Route } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import { addLoops } from "../lease/loops.js";
import type { LeaseStore } from "../lease/ports.js";
import type { LoopEvent, TokenKey, TokenRecord } from "../lease/token.js";
import type { Logger } from "../logger.js";
import type { LoopStarter } from "../poller/ports.js";
import type { RouteStore } from "../routing/ports.js";
import { claimStaleToken } from "./claimStaleToken.js";
import { clampLoopCount, type DesiredLoopCount, freeSlotIds, keepWithinBounds } from "./reconcile.js";
import { isStale, type StalenessSettings } from "./staleness.js";

export interface RestartDeps {
  leases: LeaseStore;
  routes: Pick<RouteStore, "list">;
  starter: LoopStarter;
  clock: Pick<Clock, "now">;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  settings: StalenessSettings;
  /** The queue URL a route's tokens are keyed by (default `route.queueUrl`). */
  queueUrlOf?: (route: Route) => string;
  /** The hook depth mode plugs into; default {@link keepWithinBounds}. */
  desiredLoopCount?: DesiredLoopCount;
  /** Makes loopIds (and nothing else); default random UUIDs. */
  ids?: () => string;
}

/** What one restart run did. */
export interface RestartReport {
  pages: number;
  scanned: number;
  /** Stale tokens this run claimed and started a new loop for. */
  claimed: LoopEvent[];
  /** Stale tokens another claimer won first (this run started nothing for them). */
  claimLost: TokenKey[];
  /** Loops started for tokens reconcile created (below minLoops). */
  started: LoopEvent[];
  /** Tokens deleted: above maxLoops, or of a queue without a route. */
  deleted: TokenKey[];
  /** Failures that did not stop the run. */
  errors: { step: string; queueUrl?: string; token?: string; message: string }[];
}

export interface Restart {
  run(): Promise<RestartReport>;
}

/**
 * Creates the scheduled restart: claims stale tokens (each started by exactly
 * one claimer) and reconciles every route's token count.
 *
 * @example
 * const report = await createRestart({ leases, routes, starter, clock, logger, settings }).run();
 */
export function createRestart(deps: RestartDeps): Restart {
  const { leases, routes, starter, clock, logger, settings } = deps;
  const queueUrlOf = deps.queueUrlOf ?? ((route: Route) => route.queueUrl);
  const desiredLoopCount = deps.desiredLoopCount ?? keepWithinBounds;
  const ids = deps.ids ?? randomUUID;

  async function run(): Promise<RestartReport> {
    const report: RestartReport = {
      pages: 0,
      scanned: 0,
      claimed: [],
      claimLost: [],
      started: [],
      deleted: [],
      errors: [],
    };
    const fail = (step: string, error: unknown, key?: Partial<TokenKey>) =>
      recordFailure(report, step, error, key);

    const seen: TokenRecord[] = [];
    try {
      for await (const page of leases.scan()) {
        report.pages++;
        for (const token of page) {
          report.scanned++;
          seen.push(token);
          if (!isStale(token, clock.now(), settings)) continue;
          try {
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
        }
      }
    } catch (error) {
      // Without a full scan the orphan check below would miss tokens; claims made so far stand.
      fail("scan", error);
    }

    let routeList: Route[];
    try {
      routeList = await routes.list();
    } catch (error) {
      // Never delete tokens when the routes are unknown.
      fail("list routes", error);
      return report;
    }

    const routedUrls = new Set<string>();
    for (const route of routeList) {
      const queueUrl = queueUrlOf(route);
      routedUrls.add(queueUrl);
      try {
        await reconcileRoute(route, queueUrl, report);
      } catch (error) {
        fail("reconcile", error, { queueUrl });
      }
    }

    for (const token of seen) {
      if (routedUrls.has(token.queueUrl)) continue;
      try {
        if (await leases.delete(token)) {
          report.deleted.push({ queueUrl: token.queueUrl, token: token.token });
          logger.info("restart: deleted a token of a queue without a route", { ...token });
        }
      } catch (error) {
        fail("delete orphan", error, token);
      }
    }

    logger.info("restart: done", {
      pages: report.pages,
      scanned: report.scanned,
      claimed: report.claimed.length,
      claimLost: report.claimLost.length,
      started: report.started.length,
      deleted: report.deleted.length,
      errors: report.errors.length,
    });
    return report;
  }

  async function reconcileRoute(route: Route, queueUrl: string, report: RestartReport): Promise<void> {
    // A fresh consistent read, not the scan snapshot: scale functions may have changed it meanwhile.
    const tokens = await leases.listByQueue(queueUrl);
    const current = tokens.length;
    const desired = clampLoopCount(route, await desiredLoopCount(route, current));
    if (desired > current) {
      const inUse = new Set(tokens.map((t) => t.token));
      const result = await addLoops({ leases, starter, clock, ids }, queueUrl, desired - current, {
        tokenIds: freeSlotIds(inUse, desired - current),
      });
      report.started.push(...result.started);
      for (const { event, error } of result.startFailed) recordFailure(report, "start loop", error, event);
      if (result.started.length > 0) {
        logger.info("restart: added loops to reach the route's count", {
          queueUrl,
          current,
          desired,
          started: result.started.length,
        });
      }
    } else if (desired < current) {
      // Deterministic choice (highest token ids first) so concurrent restarts delete the same extras.
      const extras = [...tokens].sort((a, b) => (a.token < b.token ? 1 : a.token > b.token ? -1 : 0));
      for (const token of extras.slice(0, current - desired)) {
        if (await leases.delete(token)) report.deleted.push({ queueUrl, token: token.token });
      }
      logger.info("restart: deleted loops above the route's count", { queueUrl, current, desired });
    }
  }

  function recordFailure(report: RestartReport, step: string, error: unknown, key?: Partial<TokenKey>): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const where = {
      ...(key?.queueUrl ? { queueUrl: key.queueUrl } : {}),
      ...(key?.token ? { token: key.token } : {}),
    };
    report.errors.push({ step, ...where, message });
    logger.error(`restart: ${step} failed`, { ...where, error: message });
  }

  return { run };
}
