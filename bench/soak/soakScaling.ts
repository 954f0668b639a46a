import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import type { SoakRun } from "./soakRun.js";

/**
 * A scale-up while the backlog is deep (soak-a's alarm forced to ALARM, waiting for its third
 * loop), and a scale-down once the traffic has drained halfway (the alarm back to OK).
 */
export async function scaleUpThenDown(
  { deployment, clock, probes, urlOf, progress }: SoakRun,
  sentCount: number,
  timeoutMs: number,
): Promise<void> {
  const { cloudwatch } = deployment.clients;
  const { tokens, waitFor, remaining } = probes;
  const alarmName = deployment.scaling.alarmNames.find((n) => n.includes("soak-a"));
  if (!alarmName) throw new Error("soak: soak-a has no alarm");
  const setAlarm = (state: "ALARM" | "OK") =>
    cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: alarmName,
        StateValue: state,
        StateReason: `soak: forced ${state}`,
      }),
    );
  await setAlarm("ALARM");
  const loopsOfA = async () => (await tokens()).filter((t) => t.queueUrl === urlOf("soak-a")).length;
  await waitFor("soak-a scaling up", async () => ((await loopsOfA()) >= 3 ? true : undefined), 120_000);
  progress("soak-a scaled up to 3 loops");

  await waitFor(
    "half the traffic drained",
    async () => ((await remaining()) <= sentCount / 2 ? true : undefined),
    timeoutMs,
  );
  // The evaluator may have put the alarm back to OK already (that is a scale-down too); force the transition otherwise.
  await setAlarm("ALARM").catch(() => undefined);
  await clock.sleep(1_000);
  await setAlarm("OK");
  progress("half drained; soak-a alarm back to OK");
}

/** Waits until every queue is empty, printing what is left every 15 s. */
export async function waitUntilDrained(
  { clock, probes, urlOf, progress }: SoakRun,
  queueNames: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const { tokens, waitFor, depthOf, remaining } = probes;
  let lastReport = clock.now();
  await waitFor(
    "every queue drained",
    async () => {
      const left = await remaining();
      if (left > 0 && clock.now() - lastReport >= 15_000) {
        lastReport = clock.now();
        const byQueue = await Promise.all(queueNames.map(async (n) => `${n} ${await depthOf(urlOf(n))}`));
        const loops = await tokens();
        progress(`draining: ${byQueue.join(", ")} left; ${loops.length} loops`);
      }
      return left === 0 ? true : undefined;
    },
    timeoutMs,
  );
  progress("every queue drained; faults off");
}
