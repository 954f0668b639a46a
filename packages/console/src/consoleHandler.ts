import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { DeadLetterQueueNotFoundError, type Logger } from "@sqs-dispatcher/core";
import { z } from "zod";
import {
  peekDeadLetters,
  readMetrics,
  readState,
  redriveTasks,
  scaleTo,
  setPaused,
  startRedrive,
} from "./consoleApi.js";
import {
  consoleCookieName,
  consoleSecurityHeaders,
  consoleSessionCookie,
  cookieValue,
  createConsoleToken,
  isConsoleToken,
} from "./consoleAuth.js";
import type { ConsoleDeps } from "./consoleDeps.js";
import { ConsoleRequestError } from "./consoleErrors.js";
import { LoopHistory } from "./loopHistory.js";

const staticDir = fileURLToPath(new URL("../static/", import.meta.url));
const require = createRequire(import.meta.url);

/** The page's ES modules under `static/`, served as they are (no build step). */
const pageModules = ["console.js", "actions.js", "dialogs.js", "dom.js", "plots.js", "queueCard.js"];

/** The page's files: name under `/console/` → file and content type. uPlot comes from the package, not a CDN. */
const assets: Record<string, { file: () => string; type: string }> = {
  ...Object.fromEntries(
    pageModules.map((name) => [
      name,
      { file: () => `${staticDir}${name}`, type: "text/javascript; charset=utf-8" },
    ]),
  ),
  "console.css": { file: () => `${staticDir}console.css`, type: "text/css; charset=utf-8" },
  "uPlot.iife.min.js": {
    file: () => require.resolve("uplot/dist/uPlot.iife.min.js"),
    type: "text/javascript",
  },
  "uPlot.min.css": { file: () => require.resolve("uplot/dist/uPlot.min.css"), type: "text/css" },
};

/**
 * The header every console API call carries, besides the session cookie. A page of another origin
 * cannot add it without a CORS preflight, which this server never grants.
 */
export const CONSOLE_HEADER = "x-dispatcher-console";

const scaleBody = z.strictObject({ loops: z.int().min(0).max(1000) });
const peekQuery = z.coerce.number().int().min(1).max(50).default(10);
const minutesQuery = z.coerce.number().int().min(1).max(180).default(15);

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new ConsoleRequestError(413, "request body too large");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text === "" ? {} : JSON.parse(text);
  } catch {
    throw new ConsoleRequestError(400, "request body is not JSON");
  }
}

/** Serves the console; returns false for a path that is not the console's (the caller answers it). */
export interface ConsoleHandler {
  (req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /**
   * The path that logs a browser in, with this run's secret (`/?token=…`): print it after the
   * server's origin, as Jupyter prints its URL. Anything without the secret gets 401.
   */
  readonly loginPath: string;
  /** Stops the background sampling of loop counts. */
  close(): Promise<void>;
}

/** Options of {@link createConsoleHandler}. */
export interface ConsoleHandlerOptions {
  /** The per-run secret (default: 32 random bytes); tests pass their own. */
  token?: string;
}

/** How often loop counts are sampled while nobody has the page open (they are not a metric). */
const loopSampleEveryMs = 10_000;

/**
 * The web console over {@link ConsoleDeps}: `GET /` (the page), `GET /console/<asset>`, and JSON
 * under `/console/api/`: `state`, `metrics?minutes=15`, `POST routes/<q>/pause|resume`,
 * `POST routes/<q>/scale {loops}`, `GET dlq/<q>/peek?count=N`, `POST dlq/<q>/redrive`,
 * `GET dlq/<q>/tasks`.
 *
 * A per-run secret guards it (other users and processes of the host can reach 127.0.0.1 too):
 * `GET /?token=<secret>` sets it as an `HttpOnly`, `SameSite=Strict` cookie and redirects to `/`,
 * and the page and every API call must carry that cookie (compared in constant time) and
 * {@link CONSOLE_HEADER}; anything else gets 401. Every response carries
 * {@link consoleSecurityHeaders}.
 *
 * @example
 * const handle = createConsoleHandler(deps);
 * createServer(async (req, res) => { if (!(await handle(req, res))) res.writeHead(404).end(); });
 * console.log(`Console: http://127.0.0.1:${port}${handle.loginPath}`);
 */
export function createConsoleHandler(
  deps: ConsoleDeps,
  logger: Pick<Logger, "error"> = { error() {} },
  options: ConsoleHandlerOptions = {},
): ConsoleHandler {
  const token = options.token ?? createConsoleToken();
  const history = new LoopHistory(3 * 60 * 60 * 1000);
  let lastQueues: { name: string; dlq: { name: string } | null }[] | undefined;
  // Loops have a history from the start, not from when someone first opens the page.
  let sampling: Promise<unknown> = Promise.resolve();
  const sample = () => {
    sampling = readState(deps, history)
      .then((state) => {
        lastQueues = state.queues;
      })
      .catch(() => undefined);
  };
  sample();
  const sampler = setInterval(sample, loopSampleEveryMs);
  sampler.unref();

  const api = async (method: string, parts: string[], url: URL, req: IncomingMessage): Promise<unknown> => {
    const [kind, queue, action] = parts;
    if (method === "GET" && kind === "state" && parts.length === 1) {
      const state = await readState(deps, history);
      lastQueues = state.queues;
      return state;
    }
    if (method === "GET" && kind === "metrics" && parts.length === 1) {
      const minutes = minutesQuery.safeParse(url.searchParams.get("minutes") ?? undefined);
      if (!minutes.success) throw new ConsoleRequestError(400, "minutes must be a whole number 1-180");
      lastQueues ??= (await readState(deps, history)).queues;
      return readMetrics(deps, history, lastQueues, minutes.data);
    }
    if (queue === undefined || parts.length !== 3) throw new ConsoleRequestError(404, "no such console API");
    if (kind === "routes" && method === "POST" && (action === "pause" || action === "resume")) {
      return setPaused(deps, queue, action === "pause");
    }
    if (kind === "routes" && method === "POST" && action === "scale") {
      const body = scaleBody.safeParse(await readJson(req));
      if (!body.success) throw new ConsoleRequestError(400, 'body must be { "loops": N }');
      return scaleTo(deps, queue, body.data.loops);
    }
    if (kind === "dlq" && method === "GET" && action === "peek") {
      const count = peekQuery.safeParse(url.searchParams.get("count") ?? undefined);
      if (!count.success) throw new ConsoleRequestError(400, "count must be a whole number 1-50");
      return peekDeadLetters(deps, queue, count.data);
    }
    if (kind === "dlq" && method === "POST" && action === "redrive") return startRedrive(deps, queue);
    if (kind === "dlq" && method === "GET" && action === "tasks") return redriveTasks(deps, queue);
    throw new ConsoleRequestError(404, "no such console API");
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://console.local");
    const method = req.method ?? "GET";
    const isPage = url.pathname === "/" || url.pathname === "/console" || url.pathname === "/console/";
    if (!isPage && !url.pathname.startsWith("/console/")) return false;
    for (const [name, value] of Object.entries(consoleSecurityHeaders)) res.setHeader(name, value);
    const cookieName = consoleCookieName(req.headers.host);
    const loggedIn = () => isConsoleToken(cookieValue(req.headers, cookieName), token);
    if (isPage) {
      if (method !== "GET") return false;
      const given = url.searchParams.get("token");
      if (given !== null) {
        if (!isConsoleToken(given, token)) {
          sendText(res, 401, "This is not the console's current token: open the URL the console printed.\n");
          return true;
        }
        // The secret moves into a cookie and out of the address bar (and the history).
        res.writeHead(303, {
          location: url.pathname,
          "set-cookie": consoleSessionCookie(cookieName, token),
          "cache-control": "no-store",
        });
        res.end();
        return true;
      }
      if (!loggedIn()) {
        sendText(res, 401, "The console needs its token: open the URL it printed (…/?token=…).\n");
        return true;
      }
      const page = await readFile(`${staticDir}index.html`);
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(page);
      return true;
    }
    const rest = url.pathname.slice("/console/".length);
    if (!rest.startsWith("api/")) {
      // Own properties only: `/console/constructor` is no asset.
      const asset = Object.hasOwn(assets, rest) ? assets[rest] : undefined;
      if (!asset || method !== "GET") return false;
      const body = await readFile(asset.file());
      res.writeHead(200, { "content-type": asset.type, "content-length": body.length });
      res.end(body);
      return true;
    }
    // Loopback names only: a rebound DNS name pointing here is refused (the page is same-origin then).
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (!["127.0.0.1", "localhost", "[::1]"].includes(host)) {
      sendJson(res, 403, { message: `the console answers on 127.0.0.1 only, not '${host}'` });
      return true;
    }
    if (!loggedIn() || req.headers[CONSOLE_HEADER] !== "1") {
      sendJson(res, 401, {
        message: `console API calls need the console's session (open the URL it printed) and the ${CONSOLE_HEADER} header`,
      });
      return true;
    }
    let parts: string[];
    try {
      parts = rest
        .slice("api/".length)
        .split("/")
        .filter((p) => p !== "")
        .map((p) => decodeURIComponent(p));
    } catch {
      sendJson(res, 400, { message: "the path has a malformed % escape" });
      return true;
    }
    try {
      sendJson(res, 200, await api(method, parts, url, req));
    } catch (error) {
      if (error instanceof ConsoleRequestError) sendJson(res, error.status, { message: error.message });
      else if (error instanceof DeadLetterQueueNotFoundError) sendJson(res, 404, { message: error.message });
      else {
        logger.error("console API failed", { path: url.pathname, error: String(error) });
        const e = error as Error;
        sendJson(res, 502, { message: `${e.name}: ${e.message}` });
      }
    }
    return true;
  };
  return Object.assign(handle, {
    loginPath: `/?token=${token}`,
    async close() {
      clearInterval(sampler);
      await sampling;
    },
  });
}
