import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DispatcherError, type Logger, silentLogger } from "@sqs-dispatcher/core";
import type { FaultInjector } from "../faults/faultInjector.js";
import { sendAwsJsonError } from "./awsJsonError.js";
import type { LocalService } from "./localService.js";
import { operationOf } from "./operationOf.js";
import type { RequestMeter } from "./requestMeter.js";
import { type SigningScope, signingScopeOf } from "./signingScope.js";

/** The edge never binds anything but loopback: the local cloud accepts any credentials. */
export const EDGE_HOST = "127.0.0.1";

/**
 * Whether a request's `Host` names this edge: `127.0.0.1`, `localhost` (or a `*.localhost` name,
 * as fauxqs's queue URLs use) with the edge's port. Anything else is refused: a web page that
 * reaches the edge by DNS rebinding sends its own domain as the Host.
 */
export function isEdgeHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const match = /^(\[::1\]|[A-Za-z0-9.-]+)(?::(\d+))?$/.exec(host);
  if (!match) return false;
  const name = (match[1] ?? "").toLowerCase();
  const loopback =
    name === EDGE_HOST || name === "localhost" || name.endsWith(".localhost") || name === "[::1]";
  return loopback && Number(match[2] ?? 80) === port;
}

/** The edge port is taken by another process. */
export class EdgePortInUseError extends DispatcherError {
  override readonly name = "EdgePortInUseError";
  constructor(
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(
      `port ${port} on ${EDGE_HOST} is already in use (another local cloud, LocalStack, ...?); ` +
        `stop that process or choose another port with --port <port> (--port 0 picks a free one)`,
      { port },
      options,
    );
  }
}

/** Two services claimed the same SigV4 signing name. */
export class DuplicateSigningNameError extends DispatcherError {
  override readonly name = "DuplicateSigningNameError";
}

/** One HTTP server on loopback that hands each request to the service its SigV4 scope names. */
export interface EdgeServer {
  readonly server: Server;
  /** Signing names served, in registration order. */
  readonly signingNames: readonly string[];
  /** Binds `127.0.0.1:port` (0 = a free port) and resolves with the bound port. */
  listen(port: number): Promise<number>;
  /** Stops accepting, drops idle and in-flight connections, and resolves once the port is free. */
  close(): Promise<void>;
}

export interface EdgeServerOptions {
  readonly services: readonly LocalService[];
  readonly logger?: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** Answers a share of chosen operations with AWS's errors, or holds them, before the service sees them. */
  readonly faults?: FaultInjector;
  /** Counts every routed request by service and operation. */
  readonly meter?: RequestMeter;
  /** Authorizes a request before its service sees it (the local IAM); answers it when it refuses. */
  readonly gate?: RequestGate;
}

/** Decides whether a request reaches its service: the request to hand on, or `undefined` once answered. */
export interface RequestGate {
  admit(scope: SigningScope, req: IncomingMessage, res: ServerResponse): Promise<IncomingMessage | undefined>;
}

/**
 * Builds the edge. Adding a service to the local cloud is adding it to `services`.
 *
 * @example
 * const edge = createEdgeServer({ services: [sqsSns, dynamodb, ssm] });
 * const port = await edge.listen(4566);
 */
export function createEdgeServer(options: EdgeServerOptions): EdgeServer {
  const logger = options.logger ?? silentLogger;
  const routes = new Map<string, LocalService>();
  for (const service of options.services) {
    for (const name of service.signingNames) {
      if (routes.has(name)) {
        throw new DuplicateSigningNameError(`two local services answer the signing name "${name}"`, { name });
      }
      routes.set(name, service);
    }
  }
  const signingNames = [...routes.keys()];

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const port = (server.address() as AddressInfo | null)?.port ?? 0;
    if (!isEdgeHost(req.headers.host, port)) {
      req.resume();
      sendAwsJsonError(
        res,
        403,
        "AccessDeniedException",
        `The local cloud answers only requests addressed to ${EDGE_HOST}:${port} or localhost:${port} (Host was ${JSON.stringify(req.headers.host ?? "")}).`,
      );
      logger.warn("edge refused a request for another host", { host: req.headers.host, url: req.url });
      return;
    }
    const scope = signingScopeOf(req.headers.authorization);
    const service = scope ? routes.get(scope.service) : undefined;
    if (!scope || !service) {
      // Drain the body so a keep-alive connection stays usable for the client's next request.
      req.resume();
      if (!scope) {
        sendAwsJsonError(
          res,
          400,
          "MissingAuthenticationTokenException",
          "The local cloud routes requests by their SigV4 Authorization header (credential scope " +
            "AKID/date/region/service/aws4_request); this request has none. Use an AWS SDK or the AWS CLI " +
            "with any credentials, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test.",
        );
      } else {
        sendAwsJsonError(
          res,
          400,
          "UnrecognizedClientException",
          `The local cloud does not serve the service "${scope.service}"; it serves ${signingNames.join(", ")}.`,
        );
      }
      logger.debug("edge rejected request", { service: scope?.service, url: req.url });
      return;
    }
    options.meter?.count(scope.service, operationOf(req.method, req.url, req.headers), scope.accessKeyId);
    const admitted = options.gate ? await options.gate.admit(scope, req, res) : req;
    if (admitted === undefined) return;
    if (options.faults && (await options.faults.intercept(scope.service, admitted, res))) return;
    await service.handle(admitted, res);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      logger.error("local service failed", { url: req.url, error: String(error) });
      if (!res.headersSent) {
        sendAwsJsonError(res, 500, "InternalFailure", `the local cloud failed: ${String(error)}`);
      } else {
        res.destroy();
      }
    });
  });
  // Long polls (20 s) and long Lambda invocations must not be cut by Node's default request timeout.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;

  return {
    server,
    signingNames,
    listen(port) {
      return new Promise<number>((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) => {
          server.off("listening", onListening);
          reject(error.code === "EADDRINUSE" ? new EdgePortInUseError(port, { cause: error }) : error);
        };
        const onListening = () => {
          server.off("error", onError);
          resolve((server.address() as AddressInfo).port);
        };
        server.once("error", onError);
        server.once("listening", onListening);
        server.listen({ port, host: EDGE_HOST, exclusive: true });
      });
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        // Held requests would otherwise wait out their delay before their connections could close.
        options.faults?.close();
        server.close((error) => (error ? reject(error) : resolve()));
        // close() waits for every connection; idle keep-alive sockets and hung long polls would hold it open.
        server.closeAllConnections();
      });
    },
  };
}
