/**
 * What Lambda may add to a handler's timeout before a synchronous invoke answers: the init phase
 * of a cold start, which Lambda allows up to 10 s outside the function's timeout.
 */
export const coldStartInitAllowanceSec = 10;

/** Slack for the request and its response on the wire. */
export const invokeWireMarginSec = 2;

/**
 * The longest a synchronous invoke of a handler whose timeout is `handlerTimeoutSec` can take to
 * answer, ms: timeout + a cold start's init + wire margin. The handler client's request timeout is
 * this long, so a slow cold start is not cut off (and counted ambiguous) while the handler may still
 * succeed; and no invoke starts unless the invocation has this long left.
 *
 * @example
 * createAwsClients({ requestTimeoutMs: { handlerLambda: invokeWindowMs(settings.maxHandlerTimeoutSec) } });
 */
export function invokeWindowMs(handlerTimeoutSec: number): number {
  return (handlerTimeoutSec + coldStartInitAllowanceSec + invokeWireMarginSec) * 1000;
}
