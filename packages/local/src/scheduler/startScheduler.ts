import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { Logger } from "@sqs-dispatcher/core";
import { silentLogger } from "@sqs-dispatcher/core";

/** Options of {@link startScheduler}. */
export interface SchedulerOptions {
  lambda: Pick<LambdaClient, "send">;
  /** The function the rule targets (locally, `restart`). */
  functionName: string;
  intervalSec: number;
  region: string;
  accountId: string;
  /** The rule's name, used in the event's `resources` ARN. */
  ruleName?: string;
  /** Fire once at start (default true): locally the first reconcile should not wait a whole interval. */
  fireImmediately?: boolean;
  logger?: Pick<Logger, "warn" | "debug">;
}

/** A running schedule. */
export interface Scheduler {
  /** Fires the rule now (outside the interval), resolving once the invocation is queued. */
  fire(): Promise<void>;
  /** Stops firing; resolves once no invocation request is in flight. */
  stop(): Promise<void>;
}

/**
 * The local stand-in for an EventBridge schedule rule: every `intervalSec` it invokes the
 * target asynchronously (`InvocationType: Event`) through the Lambda API with a
 * `Scheduled Event`, as EventBridge would, so the target sees the same event either way.
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const logger = options.logger ?? silentLogger;
  const ruleName = options.ruleName ?? `${options.functionName}-schedule`;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;

  const fire = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    const event = {
      version: "0",
      id: crypto.randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: options.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: options.region,
      resources: [`arn:aws:events:${options.region}:${options.accountId}:rule/${ruleName}`],
      detail: {},
    };
    const sent = options.lambda
      .send(
        new InvokeCommand({
          FunctionName: options.functionName,
          InvocationType: "Event",
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      )
      .then(
        () => logger.debug("scheduled invocation queued", { functionName: options.functionName }),
        // EventBridge retries on its own; locally the next tick is the retry.
        (error: unknown) =>
          logger.warn("scheduled invocation failed", {
            functionName: options.functionName,
            error: String(error),
          }),
      );
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
    return sent;
  };

  const timer = setInterval(() => void fire(), options.intervalSec * 1000);
  if (options.fireImmediately ?? true) void fire();

  return {
    fire,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
