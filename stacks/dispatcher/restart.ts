import { PlatformFunction } from "@sqs-dispatcher/config";
import { EnvVar } from "@sqs-dispatcher/functions/runtime/environment";
import { Cron, type Table } from "sst/constructs";
import type { StackBuild } from "./context.js";
import { allow, type PlatformFunctionFactory, PlatformHandler } from "./functions.js";
import type { RoutesReadGrant } from "./grants.js";

/** The smallest interval an EventBridge schedule can fire at. */
const minScheduleMinutes = 1;

/** The Restart schedule in whole minutes: EventBridge cannot fire more often than once a minute. */
export function restartScheduleMinutes(intervalSec: number): number {
  return Math.max(minScheduleMinutes, Math.ceil(intervalSec / 60));
}

/** What restart's grants cover. */
export interface RestartResources {
  readonly platformFunction: PlatformFunctionFactory;
  readonly tokensTable: Table;
  /** Where the per-queue loop-count lock lives, which reconcile takes as the scale functions do. */
  readonly scalingEventsTable: Table;
  readonly grantRoutesRead: RoutesReadGrant;
  readonly pollerArn: string;
  readonly routedQueueArns: string[];
}

/** Restart: claims stale tokens and reconciles loop counts on a schedule. Returns the schedule's minutes. */
export function createRestart(
  { stack, registry, settings }: StackBuild,
  {
    platformFunction,
    tokensTable,
    scalingEventsTable,
    grantRoutesRead,
    pollerArn,
    routedQueueArns,
  }: RestartResources,
): { scheduleMinutes: number } {
  const restart = platformFunction(stack, "Restart", PlatformFunction.Restart, PlatformHandler.restart, {
    timeout: 300,
    environment: { [EnvVar.ScalingEventsTable]: scalingEventsTable.tableName },
  });
  allow(
    restart,
    [
      "dynamodb:Scan",
      "dynamodb:Query",
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
      "dynamodb:PutItem",
      "dynamodb:DeleteItem",
    ],
    [tokensTable.tableArn],
  );
  // The per-queue loop-count lock (conditional put/delete of `lock|<queueUrl>`), shared with scaling.
  allow(restart, ["dynamodb:PutItem", "dynamodb:DeleteItem"], [scalingEventsTable.tableArn]);
  grantRoutesRead(restart);
  allow(restart, ["lambda:InvokeFunction"], [pollerArn]);
  // Depth-mode scaling reads queue depth during reconcile.
  allow(restart, ["sqs:GetQueueAttributes"], routedQueueArns);
  // ...and with maxAgeSec the age of the oldest message, which only CloudWatch reports
  // (GetMetricStatistics has no resource-level permissions).
  if (registry.routes.some((r) => r.scaling.mode === "depth" && r.scaling.maxAgeSec !== undefined)) {
    allow(restart, ["cloudwatch:GetMetricStatistics"], ["*"]);
  }
  const scheduleMinutes = restartScheduleMinutes(settings.restart.intervalSec);
  new Cron(stack, "RestartSchedule", {
    schedule: `rate(${scheduleMinutes} ${scheduleMinutes === 1 ? "minute" : "minutes"})`,
    job: restart,
  });
  return { scheduleMinutes };
}
