import { PlatformFunction, platformEnvironment } from "@sqs-dispatcher/config";
import type { Table } from "sst/constructs";
import type { RouteStoreLocation, StackBuild } from "./context.js";
import { restartScheduleMinutes } from "./restart.js";

/** The environment every platform function gets (table names, route store, poller settings). */
export function createPlatformEnvironment(
  { stage, settings, name, registry }: StackBuild,
  tokensTable: Table,
  { routesTable, routesPath }: RouteStoreLocation,
  maxHandlerTimeoutSec: number,
  /** Each handler function's timeout by its deployed name: a loop budgets a batch with its own handler's. */
  handlerTimeoutsSec: Record<string, number> = {},
): Record<string, string> {
  return platformEnvironment({
    tokensTable: tokensTable.tableName,
    routeStore: settings.routeStore,
    routesPath,
    routesTable: routesTable?.tableName,
    pollerFunction: name(PlatformFunction.Poller),
    poller: settings.poller,
    restart: settings.restart,
    limits: registry.limits,
    maxHandlerTimeoutSec,
    handlerTimeoutsSec,
    // A restart run is time-boxed to the schedule's real interval (whole minutes on EventBridge).
    restartIntervalSec: restartScheduleMinutes(settings.restart.intervalSec) * 60,
    stage,
  });
}
