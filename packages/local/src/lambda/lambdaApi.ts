import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@sqs-dispatcher/core";
import type { LocalService } from "../edge/localService.js";
import type { AsyncInvocations } from "./asyncInvocations.js";
import type { LambdaControlPlane } from "./controlPlane/lambdaControlPlane.js";
import type { EnvironmentPool } from "./environmentPool.js";
import { RecursiveLoop } from "./functionDefinition.js";
import { parseFunctionName } from "./functionName.js";
import type { CountersOf, FunctionRecord } from "./functionRecord.js";
import { LambdaErrorType, payloadLimits, readBody, sendJson, sendLambdaError } from "./lambdaHttp.js";
import { nextChainStep } from "./traceHeader.js";

const invocationTypes = ["RequestResponse", "Event", "DryRun"] as const;
type InvocationType = (typeof invocationTypes)[number];

/** Options of {@link createLambdaApi}. */
export interface LambdaApiOptions {
  region: string;
  accountId: string;
  /** Executions allowed at once across all functions, as `GetAccountSettings` reports it. */
  maxConcurrency: number;
  logger: Logger;
  functions: ReadonlyMap<string, FunctionRecord>;
  countersOf: CountersOf;
  pool: Pick<EnvironmentPool, "startExecution">;
  asyncInvocations: Pick<AsyncInvocations, "run">;
  /** Whether the service is closed: a closed service answers 503. */
  isClosed: () => boolean;
  /** The control plane (CreateFunction, versions, aliases, ...): it serves its own requests and resolves qualifiers. */
  controlPlane: () => Pick<LambdaControlPlane, "handle" | "resolveKey" | "restored">;
}

/** The service's API, and Lambda's `FunctionConfiguration` of a record for the control plane's answers. */
export interface LambdaApi extends Pick<LocalService, "handle"> {
  configurationOf(record: FunctionRecord): Record<string, unknown>;
}

/**
 * The REST-JSON API of `@aws-sdk/client-lambda` (Invoke, ListFunctions, GetFunction,
 * GetFunctionConfiguration, GetFunctionConcurrency, GetAccountSettings, GetFunctionRecursionConfig).
 */
export function createLambdaApi(options: LambdaApiOptions): LambdaApi {
  const { logger, functions, countersOf, maxConcurrency, isClosed } = options;
  const startExecution = options.pool.startExecution;

  function functionConfiguration(record: FunctionRecord): Record<string, unknown> {
    const { def } = record;
    const variables = def.environment ?? {};
    return {
      FunctionName: def.name,
      FunctionArn: record.arn,
      Runtime: def.runtime ?? "nodejs20.x",
      Role: def.role ?? `arn:aws:iam::${options.accountId}:role/${def.name}-role`,
      Handler: def.handler,
      CodeSize: record.bundle.codeSize,
      Description: def.description ?? "",
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
        ? functions.get(options.controlPlane().resolveKey(parsed.name, qualifier) ?? "")
        : undefined;
    if (!record) {
      const arn = `arn:aws:lambda:${options.region}:${options.accountId}:function:${parsed?.name ?? rawName}`;
      sendLambdaError(res, 404, LambdaErrorType.ResourceNotFound, `Function not found: ${arn}`);
    }
    return record;
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
      void options.asyncInvocations.run({
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

  return {
    configurationOf: functionConfiguration,
    async handle(req, res) {
      const url = new URL(req.url ?? "/", "http://lambda.local");
      try {
        if (isClosed()) {
          req.resume();
          sendLambdaError(res, 503, LambdaErrorType.Service, "The Lambda service is shutting down");
          return;
        }
        const controlPlane = options.controlPlane();
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
  };
}
