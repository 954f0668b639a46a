/**
 * Messages between the Lambda service (parent) and the bootstrap running in an execution
 * environment's worker thread. Plain data only: they cross `postMessage`.
 */

/** Handed to the worker once, as `workerData`. */
export interface BootstrapData {
  /** Absolute path of the bundled handler module (`.mjs`). */
  modulePath: string;
  exportName: string;
  /** The handler string as registered, for error messages that name it like AWS does. */
  handler: string;
  functionName: string;
  memoryMb: number;
  logGroupName: string;
  logStreamName: string;
}

/** Parent → worker: run one invocation. */
export interface InvokeMessage {
  type: "invoke";
  requestId: string;
  /** The request payload, JSON text (already validated by the service). */
  payload: string;
  /** Epoch ms at which the invocation times out (for `getRemainingTimeInMillis`). */
  deadlineMs: number;
  traceId: string;
  invokedFunctionArn: string;
  /** Decoded `X-Amz-Client-Context`, when the caller sent one. */
  clientContext?: unknown;
}

/** The `{ errorType, errorMessage, trace }` body the Node.js runtime reports for a failed invocation. */
export interface FunctionErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** Worker → parent. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "initError"; error: FunctionErrorPayload }
  | { type: "log"; requestId: string | undefined; level: string; text: string }
  | { type: "result"; requestId: string; ok: true; payload: string }
  | { type: "result"; requestId: string; ok: false; error: FunctionErrorPayload };
