import type { FunctionBundle } from "./bundleFunction.js";
import type { ExecutionEnvironment } from "./executionEnvironment.js";
import type { LocalFunctionDefinition } from "./functionDefinition.js";

/** Counters of one function, for tests, the bench and `dispatcher dev`'s status. */
export interface LocalFunctionStats {
  /** Executions started (each async retry counts again). */
  invocations: number;
  /** Executions that ended in a function error (timeouts and crashed environments included). */
  errors: number;
  /** Invocations refused or postponed for lack of concurrency. */
  throttles: number;
  timeouts: number;
  /** Invocations stopped by the recursion guard. */
  recursionStops: number;
  /** Execution environments created (cold starts). */
  coldStarts: number;
  /** Execution time summed over finished invocations, rounded up to 1 ms each as Lambda bills it. */
  billedMs: number;
  /** Async events retried after a failed attempt. */
  asyncRetries: number;
  /** Async events given up on after their retries (or their maximum age). */
  asyncDropped: number;
  /** Async events accepted and not finished yet. */
  asyncPending: number;
  environmentsAlive: number;
  /** Executions running right now. */
  busy: number;
}

/** A registered function: its definition, its deployment package and its execution environments. */
export interface FunctionRecord {
  def: LocalFunctionDefinition;
  bundle: FunctionBundle;
  bootstrapPath: string;
  arn: string;
  /** `$LATEST`, or the number of a published version (installed as `name:version`). */
  version: string;
  lastModified: string;
  revisionId: string;
  /** Live environments, retired ones that still run an invocation included. */
  environments: Set<ExecutionEnvironment>;
}

/** A function's counters, without the gauges read from its environments. */
export type FunctionCounters = ReturnType<typeof emptyStats>;

/** A function's counters, created at zero the first time a function is named. */
export type CountersOf = (name: string) => FunctionCounters;

export function emptyStats(): Omit<LocalFunctionStats, "environmentsAlive" | "busy"> {
  return {
    invocations: 0,
    errors: 0,
    throttles: 0,
    timeouts: 0,
    recursionStops: 0,
    coldStarts: 0,
    billedMs: 0,
    asyncRetries: 0,
    asyncDropped: 0,
    asyncPending: 0,
  };
}

export /** Lambda's `LastModified` format: `2024-11-26T15:03:00.000+0000`. */
function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}
