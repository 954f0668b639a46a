import { CommonFaults, PlatformFunction, startEnvironmentChaos } from "@sqs-dispatcher/local";
import type { SoakRun } from "./soakRun.js";

/** The faults of a soak while they run: environments killed so far, and how to stop them. */
export interface SoakFaults {
  readonly kills: { readonly kills: number };
  stop(): void;
}

/**
 * Turns the faults on: 2% DynamoDB UpdateItem throttles, 2% Invoke 429s, 2% ReceiveMessage 500s,
 * and execution environments of the poller and the handler killed at random.
 */
export function startSoakFaults({ cloud, progress }: SoakRun, random: () => number): SoakFaults {
  cloud.faults.set([
    CommonFaults.dynamoThrottle(0.02),
    CommonFaults.lambdaThrottle(0.02),
    CommonFaults.sqsReceive500(0.02),
  ]);
  const chaos = startEnvironmentChaos(cloud.lambda, {
    functionNames: [PlatformFunction.Poller, "record"],
    everyMs: 3_000,
    probability: 0.25,
    random,
  });
  progress(
    "faults on: 2% DynamoDB UpdateItem throttles, 2% Invoke 429s, 2% ReceiveMessage 500s, killed environments",
  );
  return { kills: chaos, stop: () => chaos.stop() };
}
