import { AmbiguousInvokeError, HandlerNotRunError, NotRunReason } from "../../errors.js";

const byName: Record<string, NotRunReason> = {
  TooManyRequestsException: NotRunReason.Throttled,
  EC2ThrottledException: NotRunReason.Throttled,
  ENILimitReachedException: NotRunReason.Throttled,
  SubnetIPAddressLimitReachedException: NotRunReason.Throttled,
  ResourceNotFoundException: NotRunReason.NotFound,
  AccessDeniedException: NotRunReason.Denied,
  AccessDenied: NotRunReason.Denied,
  UnrecognizedClientException: NotRunReason.Denied,
  ResourceNotReadyException: NotRunReason.NotReady,
  ResourceConflictException: NotRunReason.NotReady,
  RequestTooLargeException: NotRunReason.TooLarge,
  RequestEntityTooLargeException: NotRunReason.TooLarge,
  KMSAccessDeniedException: NotRunReason.Kms,
  KMSDisabledException: NotRunReason.Kms,
  KMSInvalidStateException: NotRunReason.Kms,
  KMSNotFoundException: NotRunReason.Kms,
};

/** Network errors raised before the request left: nothing reached Lambda. */
const notSentCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * The SDK's connection timeout (`@smithy/node-http-handler`'s `connectionTimeout`): the socket never
 * connected, so no byte of the request was written. Its request timeout reads differently and stays
 * ambiguous: by then the request was sent.
 */
const connectTimeoutMessage = /did not establish a connection|without establishing a connection/;

/** Whether a network error happened before the request was written (connect phase, DNS). */
function neverSent(error: Error & { code?: string; syscall?: string }): boolean {
  if (error.code !== undefined && notSentCodes.has(error.code)) return true;
  // Node's own connect errors (ETIMEDOUT, ECONNREFUSED, …) name the syscall that failed.
  if (error.syscall === "connect" || error.syscall === "getaddrinfo") return true;
  return error.name === "TimeoutError" && connectTimeoutMessage.test(error.message);
}

/**
 * Sorts a failed `Invoke` into "the handler did not run" (retry the same batch) or "the handler
 * may have run" (return the batch to the queue), as docs/protocol.md requires. A 4xx means
 * Lambda refused the request; a connection refused or timed out while connecting means it was never
 * sent; a reset, a request timeout or a Lambda 5xx other than the documented pre-execution ones
 * leave it unknown.
 */
export function classifyInvokeError(
  functionName: string,
  error: unknown,
): HandlerNotRunError | AmbiguousInvokeError {
  const e = error instanceof Error ? error : new Error(String(error));
  const detail = e as Error & { code?: string; syscall?: string; $metadata?: { httpStatusCode?: number } };
  const message = `${e.name}: ${e.message}`;
  const named = byName[e.name];
  if (named !== undefined) return new HandlerNotRunError(functionName, named, message, { cause: error });
  if (neverSent(detail))
    return new HandlerNotRunError(functionName, NotRunReason.Unreachable, message, { cause: error });
  const status = detail.$metadata?.httpStatusCode;
  if (status === 429)
    return new HandlerNotRunError(functionName, NotRunReason.Throttled, message, { cause: error });
  if (status !== undefined && status >= 400 && status < 500)
    return new HandlerNotRunError(functionName, NotRunReason.Misconfigured, message, { cause: error });
  if (/^(EFS|InvalidSubnet|InvalidSecurityGroup|InvalidRuntime|InvalidZipFile|SnapStart)/.test(e.name))
    return new HandlerNotRunError(functionName, NotRunReason.Misconfigured, message, { cause: error });
  return new AmbiguousInvokeError(`invoke ${functionName}: ${message}`, { functionName }, { cause: error });
}
