import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  type AdminApiMethod,
  adminApiCacheTtlSec,
  adminApiMethods,
  PlatformFunction,
} from "@sqs-dispatcher/config";
import type { ConsoleHandler } from "@sqs-dispatcher/console";
import { type Logger, silentLogger } from "@sqs-dispatcher/core";
import { isEdgeHost } from "../edge/edgeServer.js";
import type { LocalFunctionDefinition } from "../lambda/functionDefinition.js";
import { projectRoot as defaultProjectRoot } from "../projectRoot.js";
import { cacheKeyOf, createResponseCache } from "./responseCache.js";

/** Host the local admin API listens on: loopback only, like the edge. */
export const LOCAL_ADMIN_API_HOST = "127.0.0.1";
/** Default port of the local admin API (`pnpm dev`); the edge is on 4566. */
export const DEFAULT_LOCAL_ADMIN_API_PORT = 4567;

const adminApiHandler = "packages/functions/src/adminApi.handler";

/** Options of {@link startLocalAdminApi}. */
export interface LocalAdminApiOptions {
  /** The local cloud (`startLocalCloud`'s result fits): the admin function is registered and invoked there. */
  cloud: {
    endpoint: string;
    region: string;
    lambda: { register(def: LocalFunctionDefinition): Promise<void> };
  };
  /** The platform environment of the deployment (`deployLocal(...).platformEnvironment`). */
  environment: Readonly<Record<string, string>>;
  /** Port on 127.0.0.1; 0 picks a free one. Default {@link DEFAULT_LOCAL_ADMIN_API_PORT}. */
  port?: number;
  /** Seconds a 200 response is served from the cache; default the stage's TTL. 0 turns caching off. */
  cacheTtlSec?: number;
  /** Name of the admin function in the local Lambda service. */
  functionName?: string;
  /** Folder the handler path is relative to (default: this repository's root). */
  projectRoot?: string;
  /**
   * The web console, served on the same port: `/` and `/console/...` go to it, the admin API's
   * own paths (`/queues`, ...) to the admin function.
   */
  console?: ConsoleHandler;
  /** Time of the cache, injectable for tests. */
  now?: () => number;
  logger?: Pick<Logger, "info" | "warn" | "error">;
}

/** A running local admin API. */
export interface LocalAdminApi {
  /** `http://127.0.0.1:PORT`; the API's paths (`/queues`, `/queues/{name}`) hang off it. */
  url: string;
  port: number;
  /** Requests answered from the cache and by the function. */
  stats(): { hits: number; misses: number; cached: number };
  stop(): Promise<void>;
}

interface MatchedRoute {
  method: AdminApiMethod;
  pathParameters: Record<string, string>;
}

/** Matches a request path against the API's resources, as API Gateway does. */
function matchRoute(httpMethod: string, pathname: string): MatchedRoute | undefined {
  const segments = pathname.split("/").filter((s) => s !== "");
  for (const method of adminApiMethods) {
    if (method.httpMethod !== httpMethod) continue;
    const template = method.resource.split("/").filter((s) => s !== "");
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = template.every((part, i) => {
      const segment = segments[i] ?? "";
      const parameter = /^\{(.+)\}$/.exec(part)?.[1];
      if (parameter === undefined) return part === segment;
      try {
        pathParameters[parameter] = decodeURIComponent(segment);
      } catch {
        return false;
      }
      return true;
    });
    if (matches) return { method, pathParameters };
  }
  return undefined;
}

function send(res: ServerResponse, statusCode: number, headers: Record<string, string>, body: string): void {
  res.writeHead(statusCode, { ...headers, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Serves the admin REST API locally for `pnpm dev`: registers the same handler that the SST
 * stack deploys in the local Lambda service, turns each HTTP request into an API Gateway
 * proxy event, invokes the function, and caches 200 responses under API Gateway's key rule with
 * the cache-key parameters the stack declares (`X-Cache: Hit|Miss` says which). No IAM
 * authorization locally: it listens on 127.0.0.1 only.
 *
 * @example
 * const deployment = await deployLocal(cloud, registry);
 * const api = await startLocalAdminApi({ cloud, environment: deployment.platformEnvironment });
 * // curl http://127.0.0.1:4567/queues/orders?view=loops
 */
export async function startLocalAdminApi(options: LocalAdminApiOptions): Promise<LocalAdminApi> {
  const logger = options.logger ?? silentLogger;
  const functionName = options.functionName ?? PlatformFunction.AdminApi;
  const projectRoot = options.projectRoot ?? defaultProjectRoot();
  const now = options.now ?? Date.now;
  const [modulePath, exportName] = [
    adminApiHandler.slice(0, adminApiHandler.lastIndexOf(".")),
    adminApiHandler.slice(adminApiHandler.lastIndexOf(".")),
  ];
  await options.cloud.lambda.register({
    name: functionName,
    handler: `${path.resolve(projectRoot, modulePath)}${exportName}`,
    timeoutSec: 29,
    memoryMb: 256,
    environment: { ...options.environment },
    recursiveLoop: "Terminate",
  });

  const lambda = new LambdaClient({
    endpoint: options.cloud.endpoint,
    region: options.cloud.region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  const cache = createResponseCache({ ttlMs: (options.cacheTtlSec ?? adminApiCacheTtlSec) * 1000, now });
  let hits = 0;
  let misses = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const port = (server.address() as AddressInfo | null)?.port ?? 0;
    if (!isEdgeHost(req.headers.host, port)) {
      // A page that reaches this port by DNS rebinding names its own domain: refuse it.
      send(
        res,
        403,
        { "content-type": "application/json" },
        JSON.stringify({
          message: `the local admin API answers only requests addressed to ${LOCAL_ADMIN_API_HOST}:${port} or localhost:${port}`,
        }),
      );
      return;
    }
    if (options.console && (await options.console(req, res))) return;
    const url = new URL(req.url ?? "/", "http://localhost");
    const httpMethod = req.method ?? "GET";
    const matched = matchRoute(httpMethod, url.pathname);
    if (matched === undefined) {
      // API Gateway's answer for a path or method the API does not define.
      send(
        res,
        403,
        { "content-type": "application/json" },
        JSON.stringify({ message: "Missing Authentication Token" }),
      );
      return;
    }
    const queryStringParameters = Object.fromEntries(url.searchParams.entries());
    const key = cacheKeyOf(matched.method, { pathParameters: matched.pathParameters, queryStringParameters });
    const cached = cache.get(key);
    if (cached !== undefined) {
      hits++;
      send(res, cached.statusCode, { ...cached.headers, "x-cache": "Hit" }, cached.body);
      return;
    }
    misses++;
    const multiValueQueryStringParameters = Object.fromEntries(
      [...new Set(url.searchParams.keys())].map((name) => [name, url.searchParams.getAll(name)]),
    );
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(",") : (value ?? ""),
      ]),
    );
    const requestId = randomUUID();
    const event = {
      resource: matched.method.resource,
      path: url.pathname,
      httpMethod,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: url.searchParams.size > 0 ? queryStringParameters : null,
      multiValueQueryStringParameters: url.searchParams.size > 0 ? multiValueQueryStringParameters : null,
      pathParameters: Object.keys(matched.pathParameters).length > 0 ? matched.pathParameters : null,
      stageVariables: null,
      requestContext: {
        resourcePath: matched.method.resource,
        httpMethod,
        path: url.pathname,
        stage: "local",
        requestId,
        requestTimeEpoch: now(),
        identity: { sourceIp: req.socket.remoteAddress ?? "127.0.0.1" },
      },
      body: null,
      isBase64Encoded: false,
    };
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const payload = out.Payload ? Buffer.from(out.Payload).toString("utf8") : "";
    if (out.FunctionError !== undefined) {
      logger.error("admin API function failed", { functionError: out.FunctionError, payload, requestId });
      // What API Gateway answers when a proxy integration's function fails.
      send(
        res,
        502,
        { "content-type": "application/json" },
        JSON.stringify({ message: "Internal server error" }),
      );
      return;
    }
    const result = JSON.parse(payload) as {
      statusCode?: number;
      headers?: Record<string, string>;
      body?: string;
    };
    const response = {
      statusCode: result.statusCode ?? 200,
      headers: { ...(result.headers ?? {}) },
      body: result.body ?? "",
    };
    // Only successful responses are kept, so an error is never served to later requests.
    if (response.statusCode === 200) cache.set(key, response);
    send(res, response.statusCode, { ...response.headers, "x-cache": "Miss" }, response.body);
  }

  const server = createServer((req, res) => {
    const startedAt = now();
    // The access log API Gateway writes on AWS: one line per request, with what was asked and answered.
    res.once("finish", () =>
      logger.info("admin API access", {
        method: req.method,
        path: req.url,
        host: req.headers.host,
        status: res.statusCode,
        cache: res.getHeader("x-cache") ?? null,
        ms: now() - startedAt,
      }),
    );
    handle(req, res).catch((error: unknown) => {
      logger.error("local admin API request failed", {
        error: error instanceof Error ? error.message : String(error),
      });
      if (!res.headersSent) {
        send(
          res,
          502,
          { "content-type": "application/json" },
          JSON.stringify({ message: "Internal server error" }),
        );
      } else {
        res.end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_LOCAL_ADMIN_API_PORT, LOCAL_ADMIN_API_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info("local admin API listening", { url: `http://${LOCAL_ADMIN_API_HOST}:${port}` });

  return {
    url: `http://${LOCAL_ADMIN_API_HOST}:${port}`,
    port,
    stats: () => ({ hits, misses, cached: cache.size }),
    async stop() {
      lambda.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
