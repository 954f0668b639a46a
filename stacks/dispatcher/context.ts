import type { Registry, settingsFor } from "@sqs-dispatcher/config";
import type { Stack, Table } from "sst/constructs";

/** What every builder of the Dispatcher stack takes: the stack, the registry, its names and its settings. */
export interface StackBuild {
  readonly stack: Stack;
  readonly registry: Registry;
  readonly stage: string;
  /** The poller, restart and route-store settings in force on this stage. */
  readonly settings: ReturnType<typeof settingsFor>;
  /** The physical name of a resource of this stage (`awsResourceName`). */
  readonly name: (logical: string) => string;
}

/** Where the stage keeps its routes: an SSM path or a DynamoDB table (exactly one is set). */
export interface RouteStoreLocation {
  readonly routesTable?: Table;
  readonly routesPath?: string;
}

/** Options of `createDispatcherStack`. */
export interface DispatcherStackOptions {
  /** Reset run-time route edits to the registry (default: `DISPATCHER_RESET_ROUTES` at synthesis). */
  resetRoutes?: boolean;
  /** Differs per deploy so the route sync runs on every deploy (default: the synthesis time). */
  deployId?: string;
  /** The account's Lambda concurrency (default: `DISPATCHER_ACCOUNT_CONCURRENCY`; unknown: not checked). */
  accountConcurrency?: number;
  /**
   * Refuse a registry past the route store's read throughput or the account's concurrency (default
   * true). The local cloud's synthesis of the role policies turns it off: the local deploy has
   * checked its own capacity already, with its own settings (and `--allow-overcommit`).
   */
  checkCapacity?: boolean;
}
