import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { expect } from "vitest";
import type { TestPlatform } from "./testPlatform.js";
import { waitFor } from "./waitFor.js";

/** Forces an alarm's state with SetAlarmState, as an operator or CloudWatch would. */
export async function setAlarmState(
  platform: TestPlatform,
  alarmName: string,
  state: "OK" | "ALARM" | "INSUFFICIENT_DATA",
): Promise<void> {
  await platform.deployment.clients.cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: `test sets ${state}` }),
  );
}

/** Waits until function `fn` has finished `count` invocations in all (deliveries may be async), without errors. */
export async function handledBy(platform: TestPlatform, fn: string, count: number): Promise<void> {
  await waitFor(
    () => {
      const s = platform.cloud.lambda.stats(fn);
      return s.invocations >= count && s.busy === 0 && s.asyncPending === 0;
    },
    { timeoutMs: 20_000, description: `${fn} to finish ${count} invocations` },
  );
  expect(platform.cloud.lambda.stats(fn).errors).toBe(0);
}

/**
 * The reasons function `fn` logged for the records it ignored, from the log lines captured since
 * `from`: the local Lambda service forwards the function's Powertools JSON lines with its name.
 */
export function ignoredReasons(platform: TestPlatform, fn: string, from: number): string[] {
  return platform.logs.slice(from).flatMap((l) => {
    if (l.fields["functionName"] !== fn) return [];
    const start = l.message.indexOf("{");
    if (start < 0) return [];
    try {
      const line = JSON.parse(l.message.slice(start)) as { message?: unknown; reason?: unknown };
      return typeof line.message === "string" && / record ignored$/.test(line.message)
        ? [String(line.reason)]
        : [];
    } catch {
      return [];
    }
  });
}
