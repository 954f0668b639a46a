import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@sqs-dispatcher/core";
import type { ConsoleDeps } from "./consoleDeps.js";
import { createConsoleHandler } from "./consoleHandler.js";

/** A console served on its own port (`dispatcher console` against AWS). */
export interface ConsoleServer {
  url: string;
  stop(): Promise<void>;
}

/** Serves the console alone on 127.0.0.1 (loopback only: it acts with the operator's credentials). */
export async function startConsoleServer(options: {
  deps: ConsoleDeps;
  port: number;
  logger?: Pick<Logger, "error">;
}): Promise<ConsoleServer> {
  const handle = createConsoleHandler(options.deps, options.logger);
  const server = createServer((req, res) => {
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
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handle.close();
    },
  };
}
