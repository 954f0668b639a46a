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

/** What an operator must fix when the tokens table is unusable, by the error DynamoDB answered with. */
export const terminalStoreErrorFixes = {
  ValidationException:
    "the request breaks one of DynamoDB's rules (a key over its size limit, a malformed key): the loop's event is unusable; restart starts a proper loop for the queue",
  AccessDeniedException:
    "the function's role may not use the tokens table: restore its dynamodb permissions on the table (redeploy the stack)",
  ResourceNotFoundException:
    "the tokens table does not exist (deleted, or the function points at another table): redeploy the stack or fix TOKENS_TABLE",
} as const;
type TerminalStoreErrorName = keyof typeof terminalStoreErrorFixes;

function terminalStoreErrorName(error: unknown): TerminalStoreErrorName | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { code?: string };
  for (const name of [e.name, e.code]) {
    if (name !== undefined && Object.hasOwn(terminalStoreErrorFixes, name))
      return name as TerminalStoreErrorName;
  }
  return undefined;
}

/**
 * The tokens table answered with an error that no retry can fix (DESIGN.md step 1: validation,
 * access denied, table not found). A loop that gets it ends without recursing, after one error log
 * that says what to fix ({@link LeaseStoreUnusableError.fix}); restart brings loops back once it can.
 */
export class LeaseStoreUnusableError extends DispatcherError {
  override readonly name = "LeaseStoreUnusableError";
  /** The DynamoDB error name (`AccessDeniedException`, ...). */
  readonly errorName: string;
  /** What an operator must do about it. */
  readonly fix: string;

  constructor(errorName: TerminalStoreErrorName, context: Record<string, unknown>, options?: ErrorOptions) {
    const fix = terminalStoreErrorFixes[errorName];
    super(`tokens table: ${errorName}: ${fix}`, { ...context, errorName }, options);
    this.errorName = errorName;
    this.fix = fix;
  }

  /** The typed error for `error` when it is terminal, undefined otherwise (adapters translate with this). */
  static from(error: unknown, context: Record<string, unknown>): LeaseStoreUnusableError | undefined {
    if (error instanceof LeaseStoreUnusableError) return error;
    const name = terminalStoreErrorName(error);
    return name === undefined ? undefined : new LeaseStoreUnusableError(name, context, { cause: error });
  }
}

/**
 * Whether an error from the tokens table ends the loop: {@link LeaseStoreUnusableError}, or the raw
 * `ValidationException`, `AccessDeniedException` or `ResourceNotFoundException` it translates.
 * Never true for a retryable error or a lost lease (those have their own handling).
 *
 * @example
 * if (isTerminalStoreError(error)) { logger.error("loop ends", { error: String(error) }); return ended; }
 */
export function isTerminalStoreError(error: unknown): boolean {
  return error instanceof LeaseStoreUnusableError || terminalStoreErrorName(error) !== undefined;
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
