/**
 * The runtime inside one execution environment (a worker thread): loads the bundled handler
 * module once (the init phase), then runs one invocation at a time, as the Node.js Lambda
 * runtime does. The service bundles this file with esbuild, so it runs without a TS loader.
 * It must import nothing but Node built-ins and types.
 */
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { parentPort, workerData } from "node:worker_threads";
import type { BootstrapData, FunctionErrorPayload, InvokeMessage, WorkerMessage } from "./workerProtocol.js";

type Callback = (error?: unknown, result?: unknown) => void;
type Handler = (event: unknown, context: unknown, callback: Callback) => unknown;

const port = parentPort;
if (!port) throw new Error("workerBootstrap runs only inside a worker thread");
const data = workerData as BootstrapData;
const post = (message: WorkerMessage): void => port.postMessage(message);

let currentRequestId: string | undefined;

// Console output goes through the message port so the service attributes it to the request,
// in order with the result (Tail logs and the service logger see every line).
const consoleLevels = {
  log: "INFO",
  info: "INFO",
  warn: "WARN",
  error: "ERROR",
  debug: "DEBUG",
  trace: "TRACE",
};
for (const [method, level] of Object.entries(consoleLevels)) {
  (console as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args: unknown[]) => {
    post({ type: "log", requestId: currentRequestId, level, text: format(...args) });
  };
}

// As in the Node.js runtime, a rejection nobody handles ends the environment under this error type.
process.on("unhandledRejection", (reason) => {
  const error = new Error(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
  error.name = "Runtime.UnhandledPromiseRejection";
  throw error;
});

function toErrorPayload(error: unknown): FunctionErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name || "Error",
      errorMessage: error.message,
      trace: (error.stack ?? "").split("\n"),
    };
  }
  if (error === undefined || error === null) return { errorType: "Error", errorMessage: "handled" };
  return { errorType: typeof error, errorMessage: typeof error === "string" ? error : JSON.stringify(error) };
}

async function loadHandler(): Promise<Handler | FunctionErrorPayload> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(data.modulePath).href)) as Record<string, unknown>;
  } catch (error) {
    const payload = toErrorPayload(error);
    // Module resolution failures are reported under AWS's runtime error type; errors the module
    // itself throws during init keep their own type, as on AWS.
    if (error instanceof Error && /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(String(error))) {
      return {
        ...payload,
        errorType: "Runtime.ImportModuleError",
        errorMessage: `Error: ${payload.errorMessage}`,
      };
    }
    return payload;
  }
  // A CommonJS module whose exports Node's import cannot name statically still has them on `default`.
  const cjsExports = mod["default"] as Record<string, unknown> | undefined;
  const handler =
    mod[data.exportName] ?? (typeof cjsExports === "object" ? cjsExports?.[data.exportName] : undefined);
  if (typeof handler !== "function") {
    return {
      errorType: "Runtime.HandlerNotFound",
      errorMessage: `${data.handler} is undefined or not exported`,
    };
  }
  return handler as Handler;
}

function runHandler(handler: Handler, event: unknown, context: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback: Callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    // The legacy context methods some handlers still call.
    context["succeed"] = (result: unknown) => callback(null, result);
    context["fail"] = (error: unknown) => callback(error ?? new Error("handled"));
    context["done"] = callback;
    let returned: unknown;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      callback(error);
      return;
    }
    if (returned && typeof (returned as PromiseLike<unknown>).then === "function") {
      (returned as PromiseLike<unknown>).then(
        (result) => callback(null, result),
        (error: unknown) => callback(error ?? new Error("handled")),
      );
    } else if (handler.length < 3) {
      // A synchronous handler that takes no callback: the Node.js runtime answers null.
      callback(null, null);
    }
  });
}

const handlerOrError = await loadHandler();
if (typeof handlerOrError !== "function") {
  post({ type: "initError", error: handlerOrError });
  // Stay alive until the service, having read the error, terminates this environment: a worker
  // that ran out of work here could exit before its message was read, and the invoke would then
  // report a bare Runtime.ExitError instead of the init error.
  port.on("message", () => {});
} else {
  const handler = handlerOrError;
  post({ type: "ready" });
  port.on("message", async (message: InvokeMessage) => {
    if (message.type !== "invoke") return;
    const { requestId } = message;
    currentRequestId = requestId;
    process.env["_X_AMZN_TRACE_ID"] = message.traceId;
    const context: Record<string, unknown> = {
      awsRequestId: requestId,
      functionName: data.functionName,
      functionVersion: "$LATEST",
      invokedFunctionArn: message.invokedFunctionArn,
      memoryLimitInMB: String(data.memoryMb),
      logGroupName: data.logGroupName,
      logStreamName: data.logStreamName,
      callbackWaitsForEmptyEventLoop: true,
      clientContext: message.clientContext,
      identity: undefined,
      getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
    };
    try {
      const event: unknown = JSON.parse(message.payload);
      const result = await runHandler(handler, event, context);
      post({ type: "result", requestId, ok: true, payload: JSON.stringify(result) ?? "null" });
    } catch (error) {
      post({ type: "result", requestId, ok: false, error: toErrorPayload(error) });
    }
  });
}
