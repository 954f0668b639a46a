import { randomUUID } from "node:crypto";
import type { Logger } from "@sqs-dispatcher/core";
import type { FunctionCredentials } from "../iam/localCredentials.js";
import {
  type EnvironmentInvocation,
  ExecutionEnvironment,
  type InvocationOutcome,
} from "./executionEnvironment.js";
import type { CountersOf, FunctionRecord } from "./functionRecord.js";
import type { ExecutionObserver } from "./lambdaMetrics.js";
import { sessionTokenOf } from "./sessionToken.js";

/** An execution refused for lack of concurrency, with the reason Lambda gives. */
export type Throttle = { throttled: true; reason: string };

/** Options of {@link createEnvironmentPool}. */
export interface EnvironmentPoolOptions {
  /** The edge endpoint handlers reach AWS through (`AWS_ENDPOINT_URL`). */
  endpoint: () => string;
  region: string;
  logger: Logger;
  countersOf: CountersOf;
  /** An idle execution environment is discarded after this long. */
  idleMs: number;
  /** Executions allowed at once across all functions. */
  maxConcurrency: number;
  /** Sees every line of every function's output. */
  onFunctionOutput?: (line: string) => void;
  /** Sees every execution start, end and throttle (the `AWS/Lambda` metrics). */
  observer?: ExecutionObserver;
  /** The credentials a function runs with (its role's, at the edge); default `test`, the operator's. */
  credentialsOf?: (functionName: string) => FunctionCredentials;
}

/** The execution environments of every function, and the concurrency they run within. */
export interface EnvironmentPool {
  /** Every environment of every function, retired ones included, for close() and the account limit. */
  readonly allEnvironments: ReadonlySet<ExecutionEnvironment>;
  /**
   * Starts an execution: reuses the most recently used warm environment, or creates one, within
   * the reserved and account concurrency.
   */
  startExecution(
    record: FunctionRecord,
    invocation: EnvironmentInvocation,
  ): Promise<InvocationOutcome> | Throttle;
  /** Retires a function's environments: idle ones end now, busy ones after their invocation. */
  retire(record: FunctionRecord): Promise<void>;
  /** Stops the idle sweep and terminates every environment. */
  close(): Promise<void>;
}

/** How many of `envs` run an invocation right now. */
export function busyCount(envs: Iterable<ExecutionEnvironment>): number {
  let n = 0;
  for (const env of envs) if (env.busy) n += 1;
  return n;
}

/** Creates the pool of execution environments (worker threads) that functions run in. */
export function createEnvironmentPool(options: EnvironmentPoolOptions): EnvironmentPool {
  const { logger, countersOf, idleMs, maxConcurrency } = options;
  /** Every environment of every function, retired ones included, for close() and the account limit. */
  const allEnvironments = new Set<ExecutionEnvironment>();

  // Idle environments are discarded after a while, as Lambda reclaims cold sandboxes.
  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const env of allEnvironments) {
        if (!env.busy && now - env.lastUsedAt >= idleMs) void env.terminate();
      }
    },
    Math.max(50, Math.min(idleMs / 2, 10_000)),
  );
  sweeper.unref();

  function workerEnv(record: FunctionRecord): Record<string, string> {
    const { def } = record;
    const inherited: Record<string, string> = {};
    for (const key of ["PATH", "HOME", "TMPDIR", "LANG"]) {
      const value = process.env[key];
      if (value !== undefined) inherited[key] = value;
    }
    return {
      ...inherited,
      ...def.environment,
      // Lambda's reserved variables win over the function's own, as AWS refuses to let them be set.
      AWS_REGION: options.region,
      AWS_DEFAULT_REGION: options.region,
      AWS_ENDPOINT_URL: options.endpoint(),
      // Each function signs with its own access key, which the edge maps to its role.
      AWS_ACCESS_KEY_ID: options.credentialsOf?.(def.name).accessKeyId ?? "test",
      AWS_SECRET_ACCESS_KEY: options.credentialsOf?.(def.name).secretAccessKey ?? "test",
      // Lambda gives every function session credentials; locally the session token names the
      // function, so the edge's fault rules can tell which function a request came from (`caller`).
      AWS_SESSION_TOKEN: sessionTokenOf(def.name),
      AWS_LAMBDA_FUNCTION_NAME: def.name,
      AWS_LAMBDA_FUNCTION_VERSION: record.version,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(def.memoryMb),
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(def.timeoutSec),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${def.name}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_EXECUTION_ENV: `AWS_Lambda_${def.runtime ?? "nodejs20.x"}`,
      LAMBDA_TASK_ROOT: record.bundle.taskRoot,
    };
  }

  function createEnvironment(record: FunctionRecord): ExecutionEnvironment {
    const { def } = record;
    const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
    const logStreamName = `${day}/[$LATEST]${randomUUID().replaceAll("-", "")}`;
    const env = new ExecutionEnvironment({
      bootstrapPath: record.bootstrapPath,
      bootstrap: {
        modulePath: record.bundle.modulePath,
        exportName: record.bundle.exportName,
        handler: def.handler,
        functionName: def.name,
        memoryMb: def.memoryMb,
        logGroupName: `/aws/lambda/${def.name}`,
        logStreamName,
      },
      timeoutSec: def.timeoutSec,
      env: { ...workerEnv(record), AWS_LAMBDA_LOG_STREAM_NAME: logStreamName },
      logger,
      ...(options.onFunctionOutput ? { onOutput: options.onFunctionOutput } : {}),
      onGone: (gone) => {
        allEnvironments.delete(gone);
        record.environments.delete(gone);
      },
    });
    allEnvironments.add(env);
    record.environments.add(env);
    countersOf(def.name).coldStarts += 1;
    return env;
  }

  /**
   * Starts an execution: reuses the most recently used warm environment, or creates one, within
   * the reserved and account concurrency. Synchronous up to `env.invoke`, so two callers can
   * never claim the same environment.
   */
  function startExecution(
    record: FunctionRecord,
    invocation: EnvironmentInvocation,
  ): Promise<InvocationOutcome> | Throttle {
    const { def } = record;
    const c = countersOf(def.name);
    const reserved = def.reservedConcurrency;
    if (reserved !== undefined && busyCount(record.environments) >= reserved) {
      c.throttles += 1;
      options.observer?.throttled(def.name);
      return { throttled: true, reason: "ReservedFunctionConcurrentInvocationLimitExceeded" };
    }
    if (busyCount(allEnvironments) >= maxConcurrency) {
      c.throttles += 1;
      options.observer?.throttled(def.name);
      return { throttled: true, reason: "ConcurrentInvocationLimitExceeded" };
    }
    let env: ExecutionEnvironment | undefined;
    for (const candidate of record.environments) {
      if (candidate.busy || candidate.retired || !candidate.alive) continue;
      if (!env || candidate.lastUsedAt > env.lastUsedAt) env = candidate;
    }
    env ??= createEnvironment(record);
    c.invocations += 1;
    const chosen = env;
    const startedAt = performance.now();
    const running = chosen.invoke(invocation);
    options.observer?.started(def.name, {
      function: busyCount(record.environments),
      account: busyCount(allEnvironments),
    });
    return running.then((outcome) => {
      const durationMs = Math.ceil(performance.now() - startedAt);
      c.billedMs += durationMs;
      options.observer?.finished(def.name, durationMs, outcome.ok);
      if (!outcome.ok) {
        c.errors += 1;
        if (outcome.timedOut) c.timeouts += 1;
      }
      // A retired environment finishes the invocation it had, then goes.
      if (chosen.retired) void chosen.terminate();
      return outcome;
    });
  }

  async function retire(record: FunctionRecord): Promise<void> {
    const idle: Promise<void>[] = [];
    for (const env of record.environments) {
      env.retired = true;
      if (!env.busy) idle.push(env.terminate());
    }
    await Promise.all(idle);
  }

  return {
    allEnvironments,
    startExecution,
    retire,
    async close() {
      clearInterval(sweeper);
      await Promise.all([...allEnvironments].map((env) => env.terminate()));
    },
  };
}
