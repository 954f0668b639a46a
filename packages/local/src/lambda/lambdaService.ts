import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Logger } from "@sqs-dispatcher/core";
import type { MetricIdentity, MetricSample } from "../cloudwatch/metricStore.js";
import type { LocalService } from "../edge/localService.js";
import type { FunctionCredentials } from "../iam/localCredentials.js";
import { createAsyncInvocations } from "./asyncInvocations.js";
import { bundleBootstrap, bundleFunction, type FunctionBundle } from "./bundleFunction.js";
import type { FunctionHost } from "./controlPlane/functionHost.js";
import { createLambdaControlPlane, type LambdaControlPlane } from "./controlPlane/lambdaControlPlane.js";
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
import { createLambdaMetrics } from "./lambdaMetrics.js";

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
  /** Receives the `AWS/Lambda` metrics (`lambdaMetrics.ts`), as Lambda publishes them to CloudWatch. */
  onMetric?: (identity: MetricIdentity, sample: MetricSample) => void;
  /** The credentials a function runs with (its role's, at the edge); default `test`, the operator's. */
  credentialsOf?: (functionName: string) => FunctionCredentials;
  /** Functions created through the Lambda API persist under `<dataDir>/lambda`; else they last as long as the service. */
  dataDir?: string;
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

  const onMetric = options.onMetric;
  const lambdaMetrics = onMetric
    ? createLambdaMetrics({
        put: onMetric,
        now: Date.now,
        running: () => ({
          byFunction: new Map([...functions].map(([name, record]) => [name, busyCount(record.environments)])),
          account: busyCount(pool.allEnvironments),
        }),
      })
    : undefined;
  const pool = createEnvironmentPool({
    endpoint: options.endpoint,
    region: options.region,
    logger,
    countersOf,
    idleMs,
    maxConcurrency,
    ...(options.onFunctionOutput ? { onFunctionOutput: options.onFunctionOutput } : {}),
    ...(lambdaMetrics ? { observer: lambdaMetrics } : {}),
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
    controlPlane: () => controlPlane,
  });

  /** Installs code under `key` (`name`, or `name:version`); a replaced record's warm environments retire. */
  async function install(
    key: string,
    def: LocalFunctionDefinition,
    bundle: FunctionBundle,
    version: string,
  ): Promise<void> {
    if (closed) throw new Error("the Lambda service is closed");
    const bootstrapPath = await bundleBootstrap(buildDir, cwd);
    const previous = functions.get(key);
    const qualifier = version === "$LATEST" ? "" : `:${version}`;
    const record: FunctionRecord = {
      def: structuredClone(def),
      bundle,
      bootstrapPath,
      arn: `arn:aws:lambda:${options.region}:${options.accountId}:function:${def.name}${qualifier}`,
      version,
      lastModified: lambdaTimestamp(Date.now()),
      revisionId: randomUUID(),
      environments: previous?.environments ?? new Set(),
    };
    functions.set(key, record);
    countersOf(def.name);
    if (previous) await pool.retire(previous);
    logger.debug("function registered", { functionName: def.name, version, modulePath: bundle.modulePath });
  }

  const host: FunctionHost = {
    install,
    async remove(key) {
      const record = functions.get(key);
      if (!record) return;
      functions.delete(key);
      await pool.retire(record);
    },
    installed(key) {
      const record = functions.get(key);
      return record && { def: record.def, bundle: record.bundle };
    },
    configuration(key) {
      const record = functions.get(key);
      return record && api.configurationOf(record);
    },
    setReservedConcurrency(name, value) {
      for (const [key, record] of functions) {
        if (key !== name && !key.startsWith(`${name}:`)) continue;
        if (value === undefined) delete record.def.reservedConcurrency;
        else record.def.reservedConcurrency = value;
      }
    },
  };
  const controlPlane: LambdaControlPlane = createLambdaControlPlane({
    host,
    region: options.region,
    accountId: options.accountId,
    logger,
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
  });

  return {
    signingNames: ["lambda"],

    handle: api.handle,

    async register(def) {
      if (closed) throw new Error("the Lambda service is closed");
      validateFunctionDefinition(def);
      await install(def.name, def, await bundleFunction(def.handler, { cwd, buildDir }), "$LATEST");
    },

    async unregister(name) {
      for (const key of [...functions.keys()]) {
        if (key === name || key.startsWith(`${name}:`)) await host.remove(key);
      }
    },

    list() {
      return [...functions.entries()]
        .filter(([key]) => !key.includes(":"))
        .map(([, record]) => structuredClone(record.def));
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
      lambdaMetrics?.stop();
      asyncInvocations.close();
      await pool.close();
      await controlPlane.close();
    },
  };
}
