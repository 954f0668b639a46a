import { existsSync, realpathSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger } from "@sqs-dispatcher/core";
import { buildApp } from "fauxqs";
import { sendAwsJson } from "../edge/awsJsonError.js";
import type { LocalService } from "../edge/localService.js";
import { trackDeadLetterSources } from "./deadLetterSources.js";
import { patchFifoBatchReceive } from "./fifoBatchReceive.js";
import {
  createMessageMoveTasks,
  type MessageMoveTasks,
  moveTaskOperations,
  SqsApiError,
} from "./messageMoveTasks.js";
import { enforceReceiptHandles, type HookableApp } from "./receiptHandles.js";

/** fauxqs names every queue URL and ARN with this account; other account ids are not honoured by it. */
export const FAUXQS_ACCOUNT_ID = "000000000000";

export interface SqsSnsServiceOptions {
  /** The edge's base URL (`http://127.0.0.1:PORT`); a function because the port is known only after listen. */
  readonly endpoint: () => string;
  /** Region used when a request's credential scope names none. */
  readonly region: string;
  readonly logger?: Pick<Logger, "warn">;
}

// A queue URL fauxqs understands: /<12-digit account>/<queue name>.
const queuePathPattern = /^\/\d{12}\/[^/]+$/;

/**
 * SQS (AWS JSON 1.0) and SNS (query protocol) served in-process by fauxqs behind the edge.
 * fauxqs builds queue URLs from the request's Host header and looks queues up by exact URL, so the
 * service pins both to the edge's canonical `127.0.0.1:PORT`: a client that reached the edge as
 * `localhost:4566`, or that holds a queue URL with another host, still names the same queue.
 */
export async function createSqsSnsService(options: SqsSnsServiceOptions): Promise<LocalService> {
  const sqsStore = await sqsStoreNamingQueuesByHost();
  if (!sqsStore) {
    options.logger?.warn(
      "fauxqs's SqsStore was not found; queue URLs will name sqs.<region>.localhost:<port>",
    );
  } else if (!patchFifoBatchReceive(sqsStore)) {
    options.logger?.warn("fauxqs's SqsStore changed shape; FIFO receives return one message per group");
  }
  const deadLetterQueues = sqsStore ? trackDeadLetterSources(sqsStore) : undefined;
  if (!deadLetterQueues) {
    options.logger?.warn("fauxqs's SqsStore changed shape; StartMessageMoveTask is not available");
  }
  const moveTasks: MessageMoveTasks | undefined =
    deadLetterQueues &&
    createMessageMoveTasks({
      endpoint: options.endpoint,
      region: options.region,
      queues: deadLetterQueues,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  const app = buildApp({
    logger: false,
    defaultRegion: options.region,
    // buildApp builds every store it is not given; only the SQS store needs a different setting.
    ...(sqsStore
      ? { stores: { sqsStore } as unknown as NonNullable<Parameters<typeof buildApp>[0]>["stores"] }
      : {}),
  });
  const canonicalHost = () => new URL(options.endpoint()).host;

  app.addHook("preHandler", async (request: { body: unknown }) => {
    const body = request.body as { QueueUrl?: unknown } | undefined;
    if (body && typeof body === "object" && typeof body.QueueUrl === "string") {
      body.QueueUrl = canonicalQueueUrl(body.QueueUrl, options.endpoint());
    }
  });
  if (sqsStore && !enforceReceiptHandles(app as unknown as HookableApp, sqsStore)) {
    options.logger?.warn("fauxqs's SqsStore changed shape; invalid receipt handles are accepted");
  }
  await app.ready();

  return {
    // fauxqs also answers STS GetCallerIdentity, which tools call to check their credentials.
    signingNames: ["sqs", "sns", "sts"],
    handle(req: IncomingMessage, res: ServerResponse) {
      req.headers.host = canonicalHost();
      const operation = String(req.headers["x-amz-target"] ?? "").replace(/^AmazonSQS\./, "");
      if (moveTasks && moveTaskOperations.has(operation)) {
        void answerMoveTask(moveTasks, operation, req, res, options.endpoint());
        return;
      }
      app.routing(req, res);
    },
    async close() {
      await moveTasks?.close();
      // Wakes pending long polls so their requests finish instead of hanging until the socket dies.
      await app.close();
    },
  };
}

/**
 * The largest move-task request body read: the requests carry a few ARNs and numbers, far below
 * SQS's 1 MiB request limit; past it the body is drained and dropped, and the client gets 413.
 */
export const MAX_MOVE_TASK_BODY_BYTES = 64 * 1024;

const requestTooLarge = "RequestEntityTooLarge";

async function readMoveTaskBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= MAX_MOVE_TASK_BODY_BYTES) chunks.push(buffer);
  }
  if (size > MAX_MOVE_TASK_BODY_BYTES) {
    throw new SqsApiError(
      requestTooLarge,
      requestTooLarge,
      `request body of ${size} bytes is larger than ${MAX_MOVE_TASK_BODY_BYTES} bytes`,
    );
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Serves a message move task operation in SQS's AWS JSON 1.0 protocol (errors as botocore and SDK v3 read them). */
async function answerMoveTask(
  tasks: MessageMoveTasks,
  operation: string,
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: string,
): Promise<void> {
  const contentType = "application/x-amz-json-1.0";
  try {
    const text = await readMoveTaskBody(req);
    let input: unknown = {};
    try {
      input = text.length > 0 ? JSON.parse(text) : {};
    } catch {
      throw new SqsApiError(
        "InvalidParameterValueException",
        "InvalidParameterValue",
        "The request body is not JSON.",
      );
    }
    const body = input as { QueueUrl?: unknown };
    if (body && typeof body === "object" && typeof body.QueueUrl === "string") {
      body.QueueUrl = canonicalQueueUrl(body.QueueUrl, endpoint);
    }
    sendAwsJson(res, 200, await tasks.call(operation, input), contentType);
  } catch (error) {
    const apiError =
      error instanceof SqsApiError ? error : new SqsApiError("InternalError", "InternalError", String(error));
    sendAwsJson(
      res,
      apiError.code === "InternalError" ? 500 : apiError.code === requestTooLarge ? 413 : 400,
      { __type: `com.amazonaws.sqs#${apiError.code}`, message: apiError.message },
      contentType,
      { "x-amzn-query-error": `${apiError.queryCode};Sender` },
    );
  }
}

/**
 * Rewrites a queue URL's origin to the edge's, keeping its `/<account>/<name>` path;
 * anything that is not such a URL is returned unchanged for fauxqs to reject as AWS would.
 */
export function canonicalQueueUrl(queueUrl: string, endpoint: string): string {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    return queueUrl;
  }
  if (!queuePathPattern.test(url.pathname)) return queueUrl;
  return `${new URL(endpoint).origin}${url.pathname}`;
}

/**
 * fauxqs's SqsStore with `host` cleared. By default it names queues `http://sqs.<region>.localhost:<port>/...`;
 * without a host it uses the request's Host header, which this service pins to the edge's `127.0.0.1:PORT`,
 * so a queue URL is an address the edge really answers on. fauxqs exports only its app, so the store
 * module is loaded from the installed package (pinned at 1.9.2); `undefined` if its layout changed.
 */
async function sqsStoreNamingQueuesByHost(): Promise<object | undefined> {
  const require = createRequire(import.meta.url);
  const file = (require.resolve.paths("fauxqs") ?? [])
    .map((dir) => join(dir, "fauxqs", "dist", "sqs", "sqsStore.js"))
    .find((candidate) => existsSync(candidate));
  if (!file) return undefined;
  const module = (await import(pathToFileURL(realpathSync(file)).href)) as {
    SqsStore?: new () => { host: string };
  };
  if (!module.SqsStore) return undefined;
  const store = new module.SqsStore();
  store.host = "";
  return store;
}
