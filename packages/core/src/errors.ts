import { DispatcherError } from "@sqs-dispatcher/config";

// The base class lives in config (the package everything depends on); re-exported so core's users keep importing it from here.
export { DispatcherError };

/** Why a loop no longer holds its token. */
export const LeaseLossReason = {
  /** The token row is gone: scale-down, reconcile or a removed route deleted it. */
  Revoked: "revoked",
  /** The token has another loopId: restart claimed it for a new loop. */
  TakenOver: "taken-over",
  /**
   * The token still has this loopId but a newer invocation of the same loop took its
   * invocation slot (a duplicate async delivery or self-invoke): this one ends, the newer goes on.
   */
  Superseded: "superseded",
} as const;
export type LeaseLossReason = (typeof LeaseLossReason)[keyof typeof LeaseLossReason];

/** A heartbeat or claim found the token revoked, taken over or superseded; the loop must end without touching messages. */
export class LeaseLostError extends DispatcherError {
  override readonly name = "LeaseLostError";
  constructor(
    readonly queueUrl: string,
    readonly token: string,
    readonly loopId: string,
    options?: ErrorOptions,
  ) {
    super(
      `loop ${loopId} no longer holds token ${token} of ${queueUrl}`,
      { queueUrl, token, loopId },
      options,
    );
  }
}

/** A dependency failed in a way worth retrying (throttling, network, 5xx). */
export class TransientError extends DispatcherError {
  override readonly name = "TransientError";
}

const retryableNames = new Set([
  "TransientError",
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "Throttling",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "InternalServerError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
]);

/** The one predicate that says whether an error is worth retrying with backoff. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof LeaseLostError) return false;
  const e = error as Error & { code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  if (retryableNames.has(e.name) || (e.code !== undefined && retryableNames.has(e.code))) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/**
 * Why a handler invoke did not run the handler. Lambda refused the request before any
 * code ran, so the batch has used none of its receives on it: the poller keeps the batch
 * and retries (docs/protocol.md), as Lambda's own event source does with throttles.
 */
export const NotRunReason = {
  /** 429 `TooManyRequestsException`, `EC2ThrottledException`, `ENILimitReachedException`, … */
  Throttled: "throttled",
  /** `ResourceNotFoundException`: the route names a function that does not exist. */
  NotFound: "function-not-found",
  /** `AccessDeniedException`: the poller may not invoke the function. */
  Denied: "access-denied",
  /** `ResourceNotReadyException`, `ResourceConflictException`: the function is being created or updated. */
  NotReady: "function-not-ready",
  /** `RequestTooLargeException` (HTTP 413): the event exceeds the synchronous payload limit. */
  TooLarge: "payload-too-large",
  /** A KMS error decrypting the function's environment. */
  Kms: "kms-error",
  /** Any other refusal before the handler ran (a 4xx, a bad subnet, an EFS mount failure, …). */
  Misconfigured: "function-misconfigured",
  /** The Lambda API could not be reached (connection refused, DNS): the request was never sent. */
  Unreachable: "lambda-unreachable",
} as const;
export type NotRunReason = (typeof NotRunReason)[keyof typeof NotRunReason];

/** Not-run reasons that retrying soon can fix by itself; the others need an operator (or a deploy). */
export function isPassingNotRun(reason: NotRunReason): boolean {
  return (
    reason === NotRunReason.Throttled ||
    reason === NotRunReason.NotReady ||
    reason === NotRunReason.Unreachable
  );
}

/** Lambda refused a handler invoke before the handler ran (see {@link NotRunReason}). */
export class HandlerNotRunError extends DispatcherError {
  override readonly name = "HandlerNotRunError";
  constructor(
    readonly functionName: string,
    readonly reason: NotRunReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`invoke ${functionName}: ${message}`, { functionName, reason }, options);
  }
}

/**
 * A handler invoke failed after the request was sent (connection reset, request timeout, a
 * Lambda 5xx): the handler may have run. Never re-invoked; the batch returns to the queue.
 */
export class AmbiguousInvokeError extends DispatcherError {
  override readonly name = "AmbiguousInvokeError";
}

const terminalStoreErrorNames = new Set([
  "ValidationException",
  "AccessDeniedException",
  "ResourceNotFoundException",
  "UnrecognizedClientException",
]);

/**
 * Whether an error from the tokens table is one that retrying cannot fix (a malformed key, a
 * removed policy, a deleted table): the loop must end instead of heartbeating for ever.
 */
export function isTerminalStoreError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof LeaseStoreUnusableError) return true;
  const cause = (error as { cause?: unknown }).cause;
  return terminalStoreErrorNames.has(error.name) || (cause !== undefined && isTerminalStoreError(cause));
}

/** The tokens table refused a loop's write in a way retrying cannot fix; says what to fix. */
export class LeaseStoreUnusableError extends DispatcherError {
  override readonly name = "LeaseStoreUnusableError";
}
