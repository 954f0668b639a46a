/** What a synchronous handler invocation returned: the handler ran. */
export interface InvokeResult {
  /** Set when the function failed (Lambda's `FunctionError`, e.g. `Unhandled`). */
  functionError?: string;
  /** The parsed JSON response payload, if any. */
  payload?: unknown;
  /**
   * The response was not valid JSON. Lambda's SQS event source reads such a response as a
   * failure of the whole batch ("Implementing partial batch responses").
   */
  invalidJson?: boolean;
}

/** Invokes handler functions (Lambda `Invoke`). */
export interface FunctionInvoker {
  /**
   * Invokes `functionName` synchronously (`RequestResponse`) with the serialized event.
   *
   * @throws HandlerNotRunError when Lambda refused the request before the handler ran
   * (throttled, not found, denied, too large, …): safe to retry.
   * @throws AmbiguousInvokeError when the request failed after it was sent: the handler may have run.
   */
  invoke(functionName: string, payloadJson: string): Promise<InvokeResult>;
  /**
   * Checks that the function exists and may be invoked, without running it (`DryRun`).
   *
   * @throws HandlerNotRunError naming why it may not.
   */
  probe(functionName: string): Promise<void>;
}
