/** What a soak message asks the `record` handler to do, and so where it must end. */
export const SoakKind = {
  /** Succeeds: must be recorded. */
  Plain: "plain",
  /** Always reported failed: must end in the DLQ. */
  Poison: "poison",
  /** Reported failed on its first delivery only: recorded, or in the DLQ. */
  FailOnce: "fail-once",
  /** Crashes its whole batch on its first delivery only: recorded, or in the DLQ. */
  CrashOnce: "crash-once",
  /** Outlives the handler's timeout on its first delivery only: recorded, or in the DLQ. */
  SlowOnce: "slow-once",
} as const;
export type SoakKind = (typeof SoakKind)[keyof typeof SoakKind];

/** The mix of a soak's traffic: the share of each kind that is not plain. */
export interface SoakMix {
  poison: number;
  failOnce: number;
  crashOnce: number;
  slowOnce: number;
}

export const defaultSoakMix: SoakMix = { poison: 0.01, failOnce: 0.03, crashOnce: 0.005, slowOnce: 0.005 };

/** One soak message: its id (in the body, so it survives redrive) and the body the handler reads. */
export interface SoakMessage {
  id: string;
  kind: SoakKind;
  body: string;
}

/** Draws message `n` of a queue: a kind by the mix, and the body that asks for it. */
export function soakMessage(
  queue: string,
  n: number,
  mix: SoakMix,
  random: () => number,
  handlerTimeoutMs: number,
): SoakMessage {
  const id = `${queue}#${n}`;
  const roll = random();
  let edge = mix.poison;
  const make = (kind: SoakKind, extra: Record<string, unknown>): SoakMessage => ({
    id,
    kind,
    body: JSON.stringify({ soakId: id, ...extra }),
  });
  if (roll < edge) return make(SoakKind.Poison, { fail: true });
  edge += mix.failOnce;
  if (roll < edge) return make(SoakKind.FailOnce, { fail: true, untilReceiveCount: 2 });
  edge += mix.crashOnce;
  if (roll < edge) return make(SoakKind.CrashOnce, { crash: true, untilReceiveCount: 2 });
  edge += mix.slowOnce;
  if (roll < edge) return make(SoakKind.SlowOnce, { sleepMs: handlerTimeoutMs + 500, untilReceiveCount: 2 });
  return make(SoakKind.Plain, {});
}

/** The soak id inside a body, if it has one. */
export function soakIdOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { soakId?: unknown };
    return typeof parsed.soakId === "string" ? parsed.soakId : undefined;
  } catch {
    return undefined;
  }
}
