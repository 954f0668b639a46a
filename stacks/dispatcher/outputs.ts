import type { CustomResource } from "aws-cdk-lib";
import type { Table } from "sst/constructs";
import { createDispatcherDashboard, dashboardUrl } from "../dashboard.js";
import type { RouteStoreLocation, StackBuild } from "./context.js";
import type { RoutedQueue } from "./queues.js";

/** What the dashboard and the stack outputs show. */
export interface OutputSources extends RouteStoreLocation {
  readonly queues: readonly RoutedQueue[];
  readonly tokensTable: Table;
  readonly pollerName: string;
  readonly scheduleMinutes: number;
  readonly routeSync: CustomResource;
}

/** The stage's dashboard and the stack outputs a deploy prints. */
export function createOutputs(
  { stack, stage, name }: StackBuild,
  { queues, tokensTable, routesTable, routesPath, pollerName, scheduleMinutes, routeSync }: OutputSources,
): void {
  const dashboardName = name("dashboard");
  createDispatcherDashboard(stack, {
    dashboardName,
    stage,
    queues: queues.map((q) => ({
      name: q.name,
      queue: q.queue,
      ...(q.deadLetterQueue ? { deadLetterQueue: q.deadLetterQueue } : {}),
    })),
  });

  stack.addOutputs({
    Dashboard: dashboardUrl(stack.region, dashboardName),
    TokensTable: tokensTable.tableName,
    PollerFunction: pollerName,
    RouteStore: routesPath ?? routesTable?.tableName ?? "",
    RestartEveryMinutes: String(scheduleMinutes),
    // Drift made visible at each deploy, as the local deploy prints it: queues whose run-time edit was kept.
    RouteEditsKept: routeSync.getAttString("KeptEdits"),
  });
}
