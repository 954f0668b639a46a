import { handlerRequestTimeoutMs, type PollerSettings } from "@sqs-dispatcher/core";
import type { AwsClientOptions } from "@sqs-dispatcher/core/aws";

/**
 * The poller's SDK request timeouts: SQS outlasts a long poll by 10 s; the handler client waits out
 * the longest handler's whole invoke window (its timeout plus a cold start's init and the wire, `handlerRequestTimeoutMs`),
 * so a cold-started invoke that may still succeed is never cut off as ambiguous.
 */
export function pollerClientTimeouts(
  settings: Pick<PollerSettings, "waitTimeSec" | "maxHandlerTimeoutSec">,
): NonNullable<AwsClientOptions["requestTimeoutMs"]> {
  return {
    sqs: (settings.waitTimeSec + 10) * 1000,
    handlerLambda: handlerRequestTimeoutMs(settings.maxHandlerTimeoutSec),
  };
}
