import type { LoopLimitValues } from "@sqs-dispatcher/config";
import type { PollerSettings, StalenessSettings } from "@sqs-dispatcher/core";
import {
  EnvVar,
  MissingEnvironmentError,
  optionalEnv,
  optionalSecondsByName,
  requireEnv,
  requireSeconds,
} from "./environment.js";

/** The poller's timing from its environment. */
export function pollerSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): PollerSettings & { routeCacheTtlMs: number } {
  return {
    waitTimeSec: requireSeconds(EnvVar.WaitTimeSec, env),
    marginSec: requireSeconds(EnvVar.MarginSec, env),
    maxHandlerTimeoutSec: requireSeconds(EnvVar.MaxHandlerTimeoutSec, env),
    handlerTimeoutSec: optionalSecondsByName(EnvVar.HandlerTimeoutsSec, env),
    ...(optionalEnv(EnvVar.StaleAfterSec, env) !== undefined
      ? { staleAfterSec: requireSeconds(EnvVar.StaleAfterSec, env) }
      : {}),
    renewEverySec: requireSeconds(EnvVar.RenewEverySec, env),
    ...(optionalEnv(EnvVar.ColdStartAllowanceSec, env) !== undefined
      ? { coldStartAllowanceSec: requireSeconds(EnvVar.ColdStartAllowanceSec, env) }
      : {}),
    routeCacheTtlMs: requireSeconds(EnvVar.RouteCacheTtlSec, env) * 1000,
    region: optionalEnv(EnvVar.AwsRegion, env) ?? optionalEnv(EnvVar.AwsDefaultRegion, env) ?? "us-east-1",
  };
}

/** Quiet routes per shared loop (`poller.sharedQueuesPerLoop`) from the environment. */
export function sharedQueuesPerLoopFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = requireEnv(EnvVar.SharedQueuesPerLoop, env);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new MissingEnvironmentError(`${EnvVar.SharedQueuesPerLoop} (a whole number above 0, got '${raw}')`);
  }
  return value;
}

/** Restart's staleness thresholds from its environment. */
export function stalenessFromEnv(env: NodeJS.ProcessEnv = process.env): StalenessSettings {
  return {
    staleAfterMs: requireSeconds(EnvVar.StaleAfterSec, env) * 1000,
    startGraceMs: requireSeconds(EnvVar.StartGraceSec, env) * 1000,
  };
}

/** The registry's loop limits, which restart and the scale functions hold every stored route to. */
export function loopLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): LoopLimitValues {
  const read = (name: EnvVar) => {
    const raw = requireEnv(name, env);
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) {
      throw new MissingEnvironmentError(`${name} (a whole number of loops, got '${raw}')`);
    }
    return value;
  };
  return { maxLoopsPerRoute: read(EnvVar.MaxLoopsPerRoute), maxLoopsTotal: read(EnvVar.MaxLoopsTotal) };
}

/** The poller's own name (set by Lambda), which it invokes to recurse. */
export function ownFunctionName(env: NodeJS.ProcessEnv = process.env): string {
  return requireEnv(EnvVar.FunctionName, env);
}

/** Restart's schedule interval in ms from its environment, or undefined when the deploy did not set it. */
export function restartIntervalMsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  return optionalEnv(EnvVar.RestartIntervalSec, env) === undefined
    ? undefined
    : requireSeconds(EnvVar.RestartIntervalSec, env) * 1000;
}
