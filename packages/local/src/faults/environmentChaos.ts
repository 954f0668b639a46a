import type { Clock } from "@sqs-dispatcher/core";

/** What environment chaos needs of the Lambda service. */
export interface KillableEnvironments {
  killEnvironments(name?: string): Promise<number>;
}

export interface EnvironmentChaosOptions {
  /** Functions whose execution environments may be killed. */
  functionNames: readonly string[];
  /** How often a kill is considered. */
  everyMs: number;
  /** Chance, per function and tick, that its environments are killed. */
  probability: number;
  random?: () => number;
  clock?: Pick<Clock, "now">;
}

/** A running chaos schedule; `kills` counts environments killed so far. */
export interface EnvironmentChaos {
  readonly kills: number;
  stop(): void;
}

/**
 * Kills execution environments at random, as a crashed host or an out-of-memory process
 * would: the invocations inside them end without a response and their loops stop recursing.
 */
export function startEnvironmentChaos(
  lambda: KillableEnvironments,
  options: EnvironmentChaosOptions,
): EnvironmentChaos {
  const random = options.random ?? Math.random;
  let kills = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    const victims = options.functionNames.filter(() => random() < options.probability);
    Promise.all(victims.map((name) => lambda.killEnvironments(name)))
      .then((counts) => {
        kills += counts.reduce((a, b) => a + b, 0);
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, options.everyMs);
  timer.unref();
  return {
    get kills() {
      return kills;
    },
    stop: () => clearInterval(timer),
  };
}
