import type { Logger } from "@sqs-dispatcher/core";
import type { EnvironmentPool } from "./environmentPool.js";
import type { CountersOf, FunctionRecord } from "./functionRecord.js";

/** An event accepted by an `Event` invoke, waiting for or running its execution. */
export interface AsyncEvent {
  functionName: string;
  requestId: string;
  payload: string;
  traceId: string;
  invokedFunctionArn: string;
  acceptedAt: number;
}

/** Options of {@link createAsyncInvocations}. */
export interface AsyncInvocationsOptions {
  functions: ReadonlyMap<string, FunctionRecord>;
  pool: Pick<EnvironmentPool, "startExecution">;
  countersOf: CountersOf;
  logger: Logger;
  /** Delays before the retries of a failed async invocation. */
  retryDelays: readonly number[];
  /** How long a throttled async event waits before it is tried again. */
  throttleRetryMs: number;
  /** An async event older than this is dropped. */
  maxEventAgeMs: number;
  /** Whether the service is closed: a closed service starts nothing more. */
  isClosed: () => boolean;
}

/** Async (`Event`) invocations: run with Lambda's retries, throttle waits and maximum event age. */
export interface AsyncInvocations {
  /** Runs an accepted event to its end (success, dropped, or the service closed). */
  run(event: AsyncEvent): Promise<void>;
  /** Cuts every pending wait short, so no timer outlives the service. */
  close(): void;
}

/** Creates the runner of async invocations. */
export function createAsyncInvocations(options: AsyncInvocationsOptions): AsyncInvocations {
  const { functions, countersOf, logger, retryDelays, throttleRetryMs, maxEventAgeMs, isClosed } = options;
  const startExecution = options.pool.startExecution;
  const sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  /** A sleep that close() cuts short, so no timer outlives the service. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (isClosed()) {
        resolve();
        return;
      }
      const entry = {
        timer: setTimeout(() => {
          sleepers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      sleepers.add(entry);
    });

  async function runAsyncEvent(event: AsyncEvent): Promise<void> {
    const c = countersOf(event.functionName);
    let failures = 0;
    try {
      while (!isClosed()) {
        const record = functions.get(event.functionName);
        if (!record) {
          logger.warn("async event dropped: function no longer exists", {
            functionName: event.functionName,
            requestId: event.requestId,
          });
          c.asyncDropped += 1;
          return;
        }
        if (Date.now() - event.acceptedAt > maxEventAgeMs) {
          logger.warn("async event dropped: maximum event age exceeded", {
            functionName: event.functionName,
            requestId: event.requestId,
          });
          c.asyncDropped += 1;
          return;
        }
        const started = startExecution(record, {
          requestId: event.requestId,
          payload: event.payload,
          traceId: event.traceId,
          invokedFunctionArn: event.invokedFunctionArn,
          collectLogs: false,
        });
        if ("throttled" in started) {
          await sleep(throttleRetryMs);
          continue;
        }
        const outcome = await started;
        if (outcome.ok || isClosed()) return;
        failures += 1;
        const delay = retryDelays[failures - 1];
        if (delay === undefined) {
          logger.warn("async invocation failed on every attempt; event dropped", {
            functionName: event.functionName,
            requestId: event.requestId,
            attempts: failures,
            errorType: outcome.error.errorType,
            errorMessage: outcome.error.errorMessage,
          });
          c.asyncDropped += 1;
          return;
        }
        logger.info("async invocation failed; retrying", {
          functionName: event.functionName,
          requestId: event.requestId,
          attempt: failures,
          delayMs: delay,
          errorType: outcome.error.errorType,
        });
        c.asyncRetries += 1;
        await sleep(delay);
      }
    } finally {
      c.asyncPending -= 1;
    }
  }

  return {
    run: runAsyncEvent,
    close() {
      for (const sleeper of sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.resolve();
      }
      sleepers.clear();
    },
  };
}
