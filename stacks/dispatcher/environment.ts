import { PlatformFunction } from "@sqs-dispatcher/config";
import { EnvVar } from "@sqs-dispatcher/functions/runtime/environment";
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
  const pollerName = name(PlatformFunction.Poller);
  const platformEnvironment: Record<string, string> = {
    [EnvVar.TokensTable]: tokensTable.tableName,
    [EnvVar.RouteStore]: settings.routeStore,
    ...(routesPath !== undefined ? { [EnvVar.RoutesPath]: routesPath } : {}),
    ...(routesTable ? { [EnvVar.RoutesTable]: routesTable.tableName } : {}),
    [EnvVar.PollerFunction]: pollerName,
    [EnvVar.WaitTimeSec]: String(settings.poller.waitTimeSec),
    [EnvVar.MarginSec]: String(settings.poller.marginSec),
    [EnvVar.RenewEverySec]: String(settings.poller.renewEverySec),
    [EnvVar.SharedQueuesPerLoop]: String(settings.poller.sharedQueuesPerLoop),
    [EnvVar.RouteCacheTtlSec]: String(settings.poller.routeCacheTtlSec),
    [EnvVar.MaxHandlerTimeoutSec]: String(maxHandlerTimeoutSec),
    [EnvVar.HandlerTimeoutsSec]: JSON.stringify(handlerTimeoutsSec),
    [EnvVar.StaleAfterSec]: String(settings.restart.staleAfterSec),
    [EnvVar.MaxLoopsPerRoute]: String(registry.limits.maxLoopsPerRoute),
    [EnvVar.MaxLoopsTotal]: String(registry.limits.maxLoopsTotal),
    [EnvVar.StartGraceSec]: String(settings.restart.startGraceSec),
    // A restart run is time-boxed to the schedule's real interval (whole minutes on EventBridge).
    [EnvVar.RestartIntervalSec]: String(restartScheduleMinutes(settings.restart.intervalSec) * 60),
    [EnvVar.Stage]: stage,
  };
  return platformEnvironment;
}
