import type {
  DeadLetterQueues,
  LeaseStore,
  LoopStarter,
  MetricReader,
  RouteStore,
  StatusDeps,
} from "@sqs-dispatcher/core";

/**
 * What the console reads and acts through: the same ports the CLI uses, built by the entry point
 * (the local admin API for `pnpm dev`, `dispatcher console` on AWS). The browser never sees
 * credentials: every call is made here.
 */
export interface ConsoleDeps {
  /** The stage whose `SqsDispatcher` metrics are plotted (`Stage` dimension). */
  stage: string;
  /** Where the page says it is looking ("local cloud http://127.0.0.1:4566", "AWS us-east-1 stage prod"). */
  target: string;
  /** The CLI flags that address the same target, for the equivalent commands the page shows (`--local`). */
  cliFlags: string;
  status: StatusDeps;
  /** Writes routes (pause, resume). */
  routes: Pick<RouteStore, "get" | "put">;
  /** Adds and removes tokens when scaling. */
  leases: Pick<LeaseStore, "create" | "delete" | "listByQueue">;
  /** Starts loops when scaling up. */
  starter: LoopStarter;
  deadLetters: DeadLetterQueues;
  metrics: MetricReader;
  /** Period of the plotted datapoints, seconds (60 on AWS, shorter locally). */
  periodSec: number;
}
