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

/** A handler invocation failed as a whole (FunctionError, invoke error); its records return to the queue. */
export class HandlerInvocationError extends DispatcherError {
  override readonly name = "HandlerInvocationError";
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
