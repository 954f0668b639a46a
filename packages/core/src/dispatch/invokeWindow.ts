/**
 * What Lambda may add to a handler's timeout before a synchronous invoke answers: the init phase
 * of a cold start, which Lambda allows up to 10 s outside the function's timeout.
 */
export const coldStartInitAllowanceSec = 10;

/** Slack for the request and its response on the wire, on top of the invoke window. */
export const invokeWireMarginSec = 2;

/**
 * The longest a synchronous invoke of a handler whose timeout is `handlerTimeoutSec` can run,
 * ms: its timeout plus a cold start's init. No batch starts unless the invocation has this long
 * left for its handler, so a cold start at the edge of the budget does not push the poller past
 * its own timeout mid-batch.
 */
export function invokeWindowMs(
  handlerTimeoutSec: number,
  initAllowanceSec = coldStartInitAllowanceSec,
): number {
  return (handlerTimeoutSec + initAllowanceSec) * 1000;
}

/**
 * The handler client's request timeout, ms: the invoke window and the wire margin, so a slow cold
 * start is not cut off (and counted ambiguous) while the handler may still succeed.
 *
 * @example
 * createAwsClients({ requestTimeoutMs: { handlerLambda: handlerRequestTimeoutMs(settings.maxHandlerTimeoutSec) } });
 */
export function handlerRequestTimeoutMs(handlerTimeoutSec: number): number {
  return invokeWindowMs(handlerTimeoutSec) + invokeWireMarginSec * 1000;
}
