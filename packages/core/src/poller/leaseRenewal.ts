import type { Clock } from "../clock.js";
import type { HeartbeatResult } from "./heartbeatWithRetry.js";

/**
 * Lease renewal on a timer (docs/protocol.md, "Renew the lease"): a loop renews its lease at its first heartbeat, then only when
 * `renewEveryMs` has passed since the last *verified* renewal (monotonic clock), and always
 * before a receive that would come later than that. A change the token must show at once (the
 * loop became blocked, or stopped being blocked) makes the next renewal due now.
 */
export interface LeaseRenewal {
  /** Whether a renewal is due before the next receive. */
  due(): boolean;
  /** Milliseconds until a renewal is due (0 when it is). */
  msUntilDue(): number;
  /** Renews now (with the heartbeat's own retries). */
  renew(): Promise<HeartbeatResult>;
  /** Makes the next renewal due at once. */
  expedite(): void;
}

export function createLeaseRenewal(
  heartbeat: () => Promise<HeartbeatResult>,
  clock: Pick<Clock, "monotonic">,
  renewEveryMs: number,
): LeaseRenewal {
  let verifiedAt: number | undefined;
  let expedited = false;
  const msUntilDue = () =>
    verifiedAt === undefined || expedited ? 0 : Math.max(0, verifiedAt + renewEveryMs - clock.monotonic());
  return {
    due: () => msUntilDue() === 0,
    msUntilDue,
    async renew() {
      expedited = false;
      // Counted from the start: the write landed somewhere inside the call.
      const startedAt = clock.monotonic();
      const result = await heartbeat();
      if (result === "held") verifiedAt = startedAt;
      return result;
    },
    expedite() {
      expedited = true;
    },
  };
}
