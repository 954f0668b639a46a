/** What a synchronous handler invocation returned. */
export interface InvokeResult {
  /** Set when the function failed (Lambda's `FunctionError`, e.g. `Unhandled`). */
  functionError?: string;
  /** The parsed JSON response payload, if any. */
  payload?: unknown;
}

/** Invokes a handler function synchronously (Lambda `Invoke` with `RequestResponse`). */
export interface FunctionInvoker {
  invoke(functionName: string, payload: unknown): Promise<InvokeResult>;
}
