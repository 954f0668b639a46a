import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { Logger } from "@sqs-dispatcher/core";
import type { LocalService } from "../edge/localService.js";
import { bundleBootstrap, bundleFunction, type FunctionBundle } from "./bundleFunction.js";
import type { FunctionHost } from "./controlPlane/functionHost.js";
import { createLambdaControlPlane } from "./controlPlane/lambdaControlPlane.js";
import {
  type EnvironmentInvocation,
  ExecutionEnvironment,
  type InvocationOutcome,
} from "./executionEnvironment.js";
import {
  type LocalFunctionDefinition,
  RecursiveLoop,
  validateFunctionDefinition,
} from "./functionDefinition.js";
import { parseFunctionName } from "./functionName.js";
import { LambdaErrorType, payloadLimits, readBody, sendJson, sendLambdaError } from "./lambdaHttp.js";
import { nextChainStep } from "./traceHeader.js";

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
  /** Functions created through the Lambda API persist under `<dataDir>/lambda`; else they last as long as the service. */
  dataDir?: string;
}

interface FunctionRecord {
  def: LocalFunctionDefinition;
  bundle: FunctionBundle;
  bootstrapPath: string;
  arn: string;
  /** `$LATEST`, or the number of a published version. */
  version: string;
  lastModified: string;
  revisionId: string;
  /** Live environments, retired ones that still run an invocation included. */
  environments: Set<ExecutionEnvironment>;
}

type Throttle = { throttled: true; reason: string };

interface AsyncEvent {
  functionName: string;
  requestId: string;
  payload: string;
  traceId: string;
  invokedFunctionArn: string;
  acceptedAt: number;
}

const invocationTypes = ["RequestResponse", "Event", "DryRun"] as const;
type InvocationType = (typeof invocationTypes)[number];

/** The session token a function's SDK signs with locally: it names the function. */
export function sessionTokenOf(functionName: string): string {
  return `${localSessionTokenPrefix}${functionName}`;
}
export const localSessionTokenPrefix = "local-lambda:";

const stdoutLogger: Logger = {
  debug() {},
  info: (message, fields) =>
    process.stdout.write(`${JSON.stringify({ level: "INFO", message, ...fields })}\n`),
  warn: (message, fields) =>
    process.stdout.write(`${JSON.stringify({ level: "WARN", message, ...fields })}\n`),
  error: (message, fields) =>
    process.stderr.write(`${JSON.stringify({ level: "ERROR", message, ...fields })}\n`),
};

function emptyStats(): Omit<LocalFunctionStats, "environmentsAlive" | "busy"> {
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

/** Lambda's `LastModified` format: `2024-11-26T15:03:00.000+0000`. */
function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

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
  const counters = new Map<string, ReturnType<typeof emptyStats>>();
  /** Every environment of every function, retired ones included, for close() and the account limit. */
  const allEnvironments = new Set<ExecutionEnvironment>();
  const sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;

  const countersOf = (name: string) => {
    let c = counters.get(name);
    if (!c) {
      c = emptyStats();
      counters.set(name, c);
    }
    return c;
  };

  /** A sleep that close() cuts short, so no timer outlives the service. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (closed) {
        resolve();
        return;
      }
      const entry = {
        timer: setTimeout(() => {
          sleepers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      sleepers.add(entry);
    });

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
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
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

  function busyCount(envs: Iterable<ExecutionEnvironment>): number {
    let n = 0;
    for (const env of envs) if (env.busy) n += 1;
    return n;
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
      return { throttled: true, reason: "ReservedFunctionConcurrentInvocationLimitExceeded" };
    }
    if (busyCount(allEnvironments) >= maxConcurrency) {
      c.throttles += 1;
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
    return chosen.invoke(invocation).then((outcome) => {
      c.billedMs += Math.ceil(performance.now() - startedAt);
      if (!outcome.ok) {
        c.errors += 1;
        if (outcome.timedOut) c.timeouts += 1;
      }
      // A retired environment finishes the invocation it had, then goes.
      if (chosen.retired) void chosen.terminate();
      return outcome;
    });
  }

  function functionConfiguration(record: FunctionRecord): Record<string, unknown> {
    const { def } = record;
    const variables = def.environment ?? {};
    return {
      FunctionName: def.name,
      FunctionArn: record.arn,
      Runtime: def.runtime ?? "nodejs20.x",
      Role: `arn:aws:iam::${options.accountId}:role/${def.name}-role`,
      Handler: def.handler,
      CodeSize: record.bundle.codeSize,
      Description: "",
      Timeout: def.timeoutSec,
      MemorySize: def.memoryMb,
      LastModified: record.lastModified,
      CodeSha256: record.bundle.codeSha256,
      Version: record.version,
      ...(Object.keys(variables).length > 0 ? { Environment: { Variables: { ...variables } } } : {}),
      TracingConfig: { Mode: "PassThrough" },
      RevisionId: record.revisionId,
      State: "Active",
      LastUpdateStatus: "Successful",
      PackageType: "Zip",
      Architectures: ["x86_64"],
      EphemeralStorage: { Size: 512 },
      LoggingConfig: { LogFormat: "Text", LogGroup: `/aws/lambda/${def.name}` },
    };
  }

  /** The record a `FunctionName` (and the `Qualifier` query parameter, which wins) names. */
  function findFunction(
    res: ServerResponse,
    rawName: string,
    query?: URLSearchParams,
  ): FunctionRecord | undefined {
    const parsed = parseFunctionName(rawName);
    const qualifier = query?.get("Qualifier") ?? parsed?.qualifier;
    const record =
      parsed &&
      (parsed.region === undefined || parsed.region === options.region) &&
      (parsed.accountId === undefined || parsed.accountId === options.accountId)
        ? functions.get(controlPlane.resolveKey(parsed.name, qualifier) ?? "")
        : undefined;
    if (!record) {
      const arn = `arn:aws:lambda:${options.region}:${options.accountId}:function:${parsed?.name ?? rawName}`;
      sendLambdaError(res, 404, LambdaErrorType.ResourceNotFound, `Function not found: ${arn}`);
    }
    return record;
  }

  async function runAsyncEvent(event: AsyncEvent): Promise<void> {
    const c = countersOf(event.functionName);
    let failures = 0;
    try {
      while (!closed) {
        const record = functions.get(event.functionName);
        if (!record) {
          logger.warn("async event dropped: function no longer exists", {
            functionName: event.functionName,
            requestId: event.requestId,
          });
          c.asyncDropped += 1;
          return;
        }
        if (Date.now() - event.acceptedAt > maxEventAgeMs) {
          logger.warn("async event dropped: maximum event age exceeded", {
            functionName: event.functionName,
            requestId: event.requestId,
          });
          c.asyncDropped += 1;
          return;
        }
        const started = startExecution(record, {
          requestId: event.requestId,
          payload: event.payload,
          traceId: event.traceId,
          invokedFunctionArn: event.invokedFunctionArn,
          collectLogs: false,
        });
        if ("throttled" in started) {
          await sleep(throttleRetryMs);
          continue;
        }
        const outcome = await started;
        if (outcome.ok || closed) return;
        failures += 1;
        const delay = retryDelays[failures - 1];
        if (delay === undefined) {
          logger.warn("async invocation failed on every attempt; event dropped", {
            functionName: event.functionName,
            requestId: event.requestId,
            attempts: failures,
            errorType: outcome.error.errorType,
            errorMessage: outcome.error.errorMessage,
          });
          c.asyncDropped += 1;
          return;
        }
        logger.info("async invocation failed; retrying", {
          functionName: event.functionName,
          requestId: event.requestId,
          attempt: failures,
          delayMs: delay,
          errorType: outcome.error.errorType,
        });
        c.asyncRetries += 1;
        await sleep(delay);
      }
    } finally {
      c.asyncPending -= 1;
    }
  }

  async function invoke(
    req: IncomingMessage,
    res: ServerResponse,
    rawName: string,
    query: URLSearchParams,
  ): Promise<void> {
    const typeHeader = req.headers["x-amz-invocation-type"];
    const invocationType = (
      typeof typeHeader === "string" ? typeHeader : "RequestResponse"
    ) as InvocationType;
    const limit = invocationType === "Event" ? payloadLimits.asyncBytes : payloadLimits.syncBytes;
    const read = await readBody(req, limit);
    const record = findFunction(res, rawName, query);
    if (!record) return;
    if (!invocationTypes.includes(invocationType)) {
      sendLambdaError(
        res,
        400,
        LambdaErrorType.InvalidParameterValue,
        `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
      );
      return;
    }
    if (!read.ok) {
      const operation = invocationType === "Event" ? "Invoke Event" : "Invoke";
      sendLambdaError(
        res,
        413,
        LambdaErrorType.RequestTooLarge,
        `${read.size} byte payload is too large for the ${operation} invocation type (limit ${limit} bytes)`,
      );
      return;
    }
    const text = read.body.length > 0 ? read.body.toString("utf8") : "{}";
    try {
      JSON.parse(text);
    } catch (error) {
      sendLambdaError(
        res,
        400,
        LambdaErrorType.InvalidRequestContent,
        `Could not parse request body into json: ${(error as Error).message}`,
      );
      return;
    }
    if (invocationType === "DryRun") {
      sendJson(res, 204, undefined);
      return;
    }

    const { def } = record;
    const c = countersOf(def.name);
    const traceHeader = req.headers["x-amzn-trace-id"];
    const step = nextChainStep(
      typeof traceHeader === "string" ? traceHeader : undefined,
      record.arn,
      Date.now(),
    );
    const stopped = step.exceedsLimit && def.recursiveLoop !== RecursiveLoop.Allow;
    const requestId = randomUUID();

    if (invocationType === "Event") {
      sendJson(res, 202, undefined, { "x-amzn-RequestId": requestId });
      if (stopped) {
        c.recursionStops += 1;
        logger.warn("recursive invocation loop detected; async event dropped", {
          functionName: def.name,
          requestId,
          chainCount: step.count,
        });
        return;
      }
      c.asyncPending += 1;
      void runAsyncEvent({
        functionName: def.name,
        requestId,
        payload: text,
        traceId: step.header,
        invokedFunctionArn: record.arn,
        acceptedAt: Date.now(),
      });
      return;
    }

    if (stopped) {
      c.recursionStops += 1;
      logger.warn("recursive invocation loop detected; invocation stopped", {
        functionName: def.name,
        requestId,
        chainCount: step.count,
      });
      sendLambdaError(
        res,
        400,
        LambdaErrorType.RecursiveInvocation,
        "Lambda has detected your function being invoked in a recursive loop with other AWS resources and stopped your function's invocation.",
      );
      return;
    }

    const clientContextHeader = req.headers["x-amz-client-context"];
    let clientContext: unknown;
    if (typeof clientContextHeader === "string" && clientContextHeader.length > 0) {
      try {
        clientContext = JSON.parse(Buffer.from(clientContextHeader, "base64").toString("utf8"));
      } catch {
        sendLambdaError(
          res,
          400,
          LambdaErrorType.InvalidRequestContent,
          "Client context must be valid base64 JSON",
        );
        return;
      }
    }
    const started = startExecution(record, {
      requestId,
      payload: text,
      traceId: step.header,
      invokedFunctionArn: record.arn,
      collectLogs: req.headers["x-amz-log-type"] === "Tail",
      ...(clientContext !== undefined ? { clientContext } : {}),
    });
    if ("throttled" in started) {
      sendLambdaError(res, 429, LambdaErrorType.TooManyRequests, "Rate Exceeded.", {
        Reason: started.reason,
      });
      return;
    }
    const outcome = await started;
    const headers: Record<string, string> = {
      "x-amzn-RequestId": requestId,
      "X-Amz-Executed-Version": record.version,
    };
    if (outcome.logTail) headers["X-Amz-Log-Result"] = outcome.logTail;
    if (outcome.ok && Buffer.byteLength(outcome.payload) <= payloadLimits.syncBytes) {
      sendJson(res, 200, outcome.payload, headers);
      return;
    }
    const error = outcome.ok
      ? {
          errorType: "Function.ResponseSizeTooLarge",
          errorMessage: `Response payload size exceeded maximum allowed payload size (${payloadLimits.syncBytes} bytes).`,
        }
      : outcome.error;
    sendJson(res, 200, error, { ...headers, "X-Amz-Function-Error": "Unhandled" });
  }

  function listFunctions(res: ServerResponse, query: URLSearchParams): void {
    const maxItemsRaw = query.get("MaxItems");
    const maxItems = maxItemsRaw === null ? 50 : Number(maxItemsRaw);
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10_000) {
      sendLambdaError(
        res,
        400,
        LambdaErrorType.InvalidParameterValue,
        "MaxItems must be between 1 and 10000",
      );
      return;
    }
    // Published versions are installed as `name:version`; ListFunctions shows each function once.
    const names = [...functions.keys()].filter((key) => !key.includes(":")).sort();
    const marker = query.get("Marker");
    let start = 0;
    if (marker) {
      const after = Buffer.from(marker, "base64url").toString("utf8");
      start = names.findIndex((name) => name > after);
      if (start < 0) start = names.length;
    }
    const page = names.slice(start, start + maxItems);
    const last = page[page.length - 1];
    const more = start + maxItems < names.length && last !== undefined;
    sendJson(res, 200, {
      Functions: page.map((name) => functionConfiguration(functions.get(name)!)),
      ...(more ? { NextMarker: Buffer.from(last).toString("base64url") } : {}),
    });
  }

  const routes: Array<{
    method: string;
    pattern: RegExp;
    run: (
      req: IncomingMessage,
      res: ServerResponse,
      name: string,
      query: URLSearchParams,
    ) => Promise<void> | void;
  }> = [
    { method: "POST", pattern: /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/, run: invoke },
    {
      method: "GET",
      pattern: /^\/2015-03-31\/functions\/?$/,
      run: (_req, res, _name, query) => listFunctions(res, query),
    },
    {
      method: "GET",
      pattern: /^\/2015-03-31\/functions\/([^/]+)\/?$/,
      run: (_req, res, name, query) => {
        const record = findFunction(res, name, query);
        if (!record) return;
        const reserved = record.def.reservedConcurrency;
        sendJson(res, 200, {
          Configuration: functionConfiguration(record),
          Code: { RepositoryType: "S3", Location: `file://${record.bundle.modulePath}` },
          ...(reserved !== undefined ? { Concurrency: { ReservedConcurrentExecutions: reserved } } : {}),
        });
      },
    },
    {
      method: "GET",
      pattern: /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/,
      run: (_req, res, name, query) => {
        const record = findFunction(res, name, query);
        if (record) sendJson(res, 200, functionConfiguration(record));
      },
    },
    {
      method: "GET",
      pattern: /^\/2019-09-30\/functions\/([^/]+)\/concurrency\/?$/,
      run: (_req, res, name) => {
        const record = findFunction(res, name);
        if (!record) return;
        const reserved = record.def.reservedConcurrency;
        sendJson(res, 200, reserved !== undefined ? { ReservedConcurrentExecutions: reserved } : {});
      },
    },
    {
      // GetAccountSettings: the account's concurrency, as `status` and the deploy's headroom check read it.
      method: "GET",
      pattern: /^\/2016-08-19\/account-settings\/?$/,
      run: (_req, res) => sendJson(res, 200, accountSettings()),
    },
    {
      method: "GET",
      pattern: /^\/2024-08-31\/functions\/([^/]+)\/recursion-config\/?$/,
      run: (_req, res, name) => {
        const record = findFunction(res, name);
        if (record)
          sendJson(res, 200, { RecursiveLoop: record.def.recursiveLoop ?? RecursiveLoop.Terminate });
      },
    },
  ];

  /** Lambda's `GetAccountSettings` answer: the account concurrency and what reserved concurrency leaves of it. */
  function accountSettings() {
    let reserved = 0;
    let totalCodeSize = 0;
    for (const record of functions.values()) {
      reserved += record.def.reservedConcurrency ?? 0;
      totalCodeSize += record.bundle.codeSize;
    }
    return {
      AccountLimit: {
        TotalCodeSize: 80_530_636_800,
        CodeSizeUnzipped: 262_144_000,
        CodeSizeZipped: 52_428_800,
        ConcurrentExecutions: maxConcurrency,
        UnreservedConcurrentExecutions: Math.max(0, maxConcurrency - reserved),
      },
      AccountUsage: { TotalCodeSize: totalCodeSize, FunctionCount: functions.size },
    };
  }

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
    if (previous) await retire(previous);
    logger.debug("function registered", { functionName: def.name, version, modulePath: bundle.modulePath });
  }

  const host: FunctionHost = {
    install,
    async remove(key) {
      const record = functions.get(key);
      if (!record) return;
      functions.delete(key);
      await retire(record);
    },
    installed(key) {
      const record = functions.get(key);
      return record && { def: record.def, bundle: record.bundle };
    },
    configuration(key) {
      const record = functions.get(key);
      return record && functionConfiguration(record);
    },
    setReservedConcurrency(name, value) {
      for (const [key, record] of functions) {
        if (key !== name && !key.startsWith(`${name}:`)) continue;
        if (value === undefined) delete record.def.reservedConcurrency;
        else record.def.reservedConcurrency = value;
      }
    },
  };
  const controlPlane = createLambdaControlPlane({
    host,
    region: options.region,
    accountId: options.accountId,
    logger,
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
  });

  async function retire(record: FunctionRecord): Promise<void> {
    const idle: Promise<void>[] = [];
    for (const env of record.environments) {
      env.retired = true;
      if (!env.busy) idle.push(env.terminate());
    }
    await Promise.all(idle);
  }

  return {
    signingNames: ["lambda"],

    async handle(req, res) {
      const url = new URL(req.url ?? "/", "http://lambda.local");
      try {
        if (closed) {
          req.resume();
          sendLambdaError(res, 503, LambdaErrorType.Service, "The Lambda service is shutting down");
          return;
        }
        await controlPlane.restored;
        if (await controlPlane.handle(req, res, url)) return;
        for (const route of routes) {
          const match = route.pattern.exec(url.pathname);
          if (!match || req.method !== route.method) continue;
          let name = "";
          try {
            name = decodeURIComponent(match[1] ?? "");
          } catch {
            name = match[1] ?? "";
          }
          await route.run(req, res, name, url.searchParams);
          return;
        }
        req.resume();
        sendLambdaError(
          res,
          404,
          LambdaErrorType.UnknownOperation,
          `The local Lambda service does not implement ${req.method} ${url.pathname}`,
        );
      } catch (error) {
        logger.error("lambda request failed", { path: url.pathname, error: String(error) });
        if (!res.headersSent) sendLambdaError(res, 500, LambdaErrorType.Service, "Internal error");
        else res.destroy();
      }
    },

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
      const targets = [...allEnvironments].filter(
        (env) => name === undefined || functions.get(name)?.environments.has(env),
      );
      await Promise.all(targets.map((env) => env.terminate()));
      return targets.length;
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      for (const sleeper of sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.resolve();
      }
      sleepers.clear();
      await Promise.all([...allEnvironments].map((env) => env.terminate()));
      await controlPlane.close();
    },
  };
}
