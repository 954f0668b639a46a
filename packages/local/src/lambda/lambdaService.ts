import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Logger } from "@sqs-dispatcher/core";
import type { LocalService } from "../edge/localService.js";
import type { FunctionCredentials } from "../iam/localCredentials.js";
import { createAsyncInvocations } from "./asyncInvocations.js";
import { bundleBootstrap, bundleFunction } from "./bundleFunction.js";
import { busyCount, createEnvironmentPool } from "./environmentPool.js";
import { type LocalFunctionDefinition, validateFunctionDefinition } from "./functionDefinition.js";
import {
  emptyStats,
  type FunctionCounters,
  type FunctionRecord,
  type LocalFunctionStats,
  lambdaTimestamp,
} from "./functionRecord.js";
import { createLambdaApi } from "./lambdaApi.js";

export type { LocalFunctionStats } from "./functionRecord.js";
export { localSessionTokenPrefix, sessionTokenOf } from "./sessionToken.js";

/** The local Lambda service behind the edge, plus what the local runtime and tests drive it with. */
export interface LambdaService extends LocalService {
  /** Deploys a function: bundles its handler; a re-register replaces code and config and retires warm environments. */
  register(def: LocalFunctionDefinition): Promise<void>;
  /** Removes a function; running invocations finish, warm environments are retired. */
  unregister(name: string): Promise<void>;
  list(): LocalFunctionDefinition[];
  stats(name: string): LocalFunctionStats;
  /** Terminates a function's (or every function's) environments abruptly, busy ones included (fault injection). */
  killEnvironments(name?: string): Promise<number>;
  /** The invocations of a function running right now, with their event payloads (JSON text). */
  running(name: string): { requestId: string; payload: string; startedAt: number }[];
}

/** Options of {@link createLambdaService}. */
export interface LambdaServiceOptions {
  /** The edge endpoint handlers reach AWS through (`AWS_ENDPOINT_URL`); a function because the port is known late. */
  endpoint: () => string;
  region: string;
  accountId: string;
  logger?: Logger;
  /** Where deployment packages are written; default `<cwd>/.dispatcher/build`. */
  buildDir?: string;
  /** Handler paths are relative to this; default `process.cwd()`. */
  cwd?: string;
  /** Delays before the two retries of a failed async invocation; AWS waits 1 then 2 minutes, locally 1 s then 2 s. */
  asyncRetryDelaysMs?: readonly number[];
  /** How long a throttled async event waits before it is tried again (AWS retries throttled events internally). */
  asyncThrottleRetryMs?: number;
  /** An async event older than this is dropped (AWS's maximum event age: 6 hours). */
  asyncMaxEventAgeMs?: number;
  /** An idle execution environment is discarded after this long. */
  environmentIdleMs?: number;
  /** Executions allowed at once across all functions (AWS's account concurrency, default 1000). */
  maxConcurrency?: number;
  /** Sees every line of every function's output, as Lambda's log pipeline does (EMF metrics). */
  onFunctionOutput?: (line: string) => void;
  /** The credentials a function runs with (its role's, at the edge); default `test`, the operator's. */
  credentialsOf?: (functionName: string) => FunctionCredentials;
}

const stdoutLogger: Logger = {
  debug() {},
  info: (message, fields) =>
    process.stdout.write(`${JSON.stringify({ level: "INFO", message, ...fields })}\n`),
  warn: (message, fields) =>
    process.stdout.write(`${JSON.stringify({ level: "WARN", message, ...fields })}\n`),
  error: (message, fields) =>
    process.stderr.write(`${JSON.stringify({ level: "ERROR", message, ...fields })}\n`),
};

/**
 * Creates the local Lambda service: the REST-JSON API of `@aws-sdk/client-lambda` (Invoke,
 * ListFunctions, GetFunction, GetFunctionConfiguration, GetFunctionConcurrency, GetAccountSettings,
 * GetFunctionRecursionConfig) over functions that run in worker-thread execution environments.
 *
 * @example
 * const lambda = createLambdaService({ endpoint: () => cloud.endpoint, region: "us-east-1", accountId: "000000000000" });
 * await lambda.register({ name: "echo", handler: "test/fixtures/functions/echo.handler", timeoutSec: 3, memoryMb: 128 });
 */
export function createLambdaService(options: LambdaServiceOptions): LambdaService {
  const logger = options.logger ?? stdoutLogger;
  const cwd = options.cwd ?? process.cwd();
  const buildDir = options.buildDir ?? join(cwd, ".dispatcher", "build");
  const retryDelays = options.asyncRetryDelaysMs ?? [1000, 2000];
  const throttleRetryMs = options.asyncThrottleRetryMs ?? 250;
  const maxEventAgeMs = options.asyncMaxEventAgeMs ?? 6 * 60 * 60 * 1000;
  const idleMs = options.environmentIdleMs ?? 120_000;
  const maxConcurrency = options.maxConcurrency ?? 1000;

  const functions = new Map<string, FunctionRecord>();
  const counters = new Map<string, FunctionCounters>();
  let closed = false;
  const isClosed = () => closed;

  const countersOf = (name: string) => {
    let c = counters.get(name);
    if (!c) {
      c = emptyStats();
      counters.set(name, c);
    }
    return c;
  };

  const pool = createEnvironmentPool({
    endpoint: options.endpoint,
    region: options.region,
    logger,
    countersOf,
    idleMs,
    maxConcurrency,
    ...(options.onFunctionOutput ? { onFunctionOutput: options.onFunctionOutput } : {}),
    ...(options.credentialsOf ? { credentialsOf: options.credentialsOf } : {}),
  });
  const asyncInvocations = createAsyncInvocations({
    functions,
    pool,
    countersOf,
    logger,
    retryDelays,
    throttleRetryMs,
    maxEventAgeMs,
    isClosed,
  });
  const api = createLambdaApi({
    region: options.region,
    accountId: options.accountId,
    maxConcurrency,
    logger,
    functions,
    countersOf,
    pool,
    asyncInvocations,
    isClosed,
  });

  return {
    signingNames: ["lambda"],

    handle: api.handle,

    async register(def) {
      if (closed) throw new Error("the Lambda service is closed");
      validateFunctionDefinition(def);
      const [bootstrapPath, bundle] = await Promise.all([
        bundleBootstrap(buildDir, cwd),
        bundleFunction(def.handler, { cwd, buildDir }),
      ]);
      const previous = functions.get(def.name);
      const record: FunctionRecord = {
        def: structuredClone(def),
        bundle,
        bootstrapPath,
        arn: `arn:aws:lambda:${options.region}:${options.accountId}:function:${def.name}`,
        lastModified: lambdaTimestamp(Date.now()),
        revisionId: randomUUID(),
        environments: previous?.environments ?? new Set(),
      };
      functions.set(def.name, record);
      countersOf(def.name);
      if (previous) await pool.retire(previous);
      logger.debug("function registered", { functionName: def.name, modulePath: bundle.modulePath });
    },

    async unregister(name) {
      const record = functions.get(name);
      if (!record) return;
      functions.delete(name);
      await pool.retire(record);
    },

    list() {
      return [...functions.values()].map((record) => structuredClone(record.def));
    },

    stats(name) {
      const record = functions.get(name);
      const envs = record ? [...record.environments] : [];
      return {
        ...(counters.get(name) ?? emptyStats()),
        environmentsAlive: envs.filter((env) => env.alive).length,
        busy: busyCount(envs),
      };
    },

    running(name) {
      const record = functions.get(name);
      if (!record) return [];
      return [...record.environments].flatMap((env) => (env.running ? [env.running] : []));
    },

    async killEnvironments(name) {
      const targets = [...pool.allEnvironments].filter(
        (env) => name === undefined || functions.get(name)?.environments.has(env),
      );
      await Promise.all(targets.map((env) => env.terminate()));
      return targets.length;
    },

    async close() {
      if (closed) return;
      closed = true;
      asyncInvocations.close();
      await pool.close();
    },
  };
}
