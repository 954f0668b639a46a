import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@sqs-dispatcher/core";
import { consoleSecurityHeaders } from "./consoleAuth.js";
import type { ConsoleDeps } from "./consoleDeps.js";
import { createConsoleHandler } from "./consoleHandler.js";

/** A console served on its own port (`dispatcher console` against AWS). */
export interface ConsoleServer {
  /** The server's root, `http://127.0.0.1:<port>/`. */
  url: string;
  /** The URL that logs a browser in: {@link url} with this run's secret (`?token=…`). Print this one. */
  loginUrl: string;
  stop(): Promise<void>;
}

/** Serves the console alone on 127.0.0.1 (loopback only: it acts with the operator's credentials). */
export async function startConsoleServer(options: {
  deps: ConsoleDeps;
  port: number;
  logger?: Pick<Logger, "error">;
  /** The per-run secret (default: a fresh random one). */
  token?: string;
}): Promise<ConsoleServer> {
  const handle = createConsoleHandler(
    options.deps,
    options.logger,
    options.token !== undefined ? { token: options.token } : {},
  );
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(consoleSecurityHeaders)) res.setHeader(name, value);
    handle(req, res)
      .then((handled) => {
        if (!handled) {
          res.writeHead(404, { "content-type": "text/plain" });
          res.end("not found\n");
        }
      })
      .catch((error: unknown) => {
        options.logger?.error("console request failed", { error: String(error) });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    loginUrl: `http://127.0.0.1:${port}${handle.loginPath}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handle.close();
    },
  };
}
