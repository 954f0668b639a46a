import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { DispatcherError, isRetryable, TransientError } from "../../errors.js";
import type { LoopStarter } from "../../lease/ports.js";
import { isSharedLoopEvent, type PollerEvent } from "../../lease/sharedGroup.js";

/** Starts a loop by invoking the poller function asynchronously (`InvocationType: Event`). */
export function createLambdaLoopStarter(
  lambda: LambdaClient,
  pollerFunctionName: string,
): LoopStarter<PollerEvent> {
  return {
    async start(event: PollerEvent) {
      // Exactly the event's fields: the poller's schema is strict.
      const loopEvent: PollerEvent = isSharedLoopEvent(event)
        ? { group: event.group, loopId: event.loopId }
        : { queueUrl: event.queueUrl, token: event.token, loopId: event.loopId };
      try {
        const out = await lambda.send(
          new InvokeCommand({
            FunctionName: pollerFunctionName,
            InvocationType: "Event",
            Payload: Buffer.from(JSON.stringify(loopEvent)),
          }),
        );
        if (out.StatusCode !== undefined && out.StatusCode !== 202) {
          throw new DispatcherError(`async invoke of ${pollerFunctionName} returned ${out.StatusCode}`, {
            ...loopEvent,
          });
        }
      } catch (error) {
        if (error instanceof DispatcherError) throw error;
        const e = error instanceof Error ? error : new Error(String(error));
        const context = { ...loopEvent, functionName: pollerFunctionName };
        throw isRetryable(error)
          ? new TransientError(`start loop: ${e.name}: ${e.message}`, context, { cause: error })
          : new DispatcherError(`start loop: ${e.name}: ${e.message}`, context, { cause: error });
      }
    },
  };
}
