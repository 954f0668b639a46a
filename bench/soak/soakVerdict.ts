import { SoakKind as Kind, type SoakKind } from "./soakMessages.js";

/** Where one message ended, as the soak observed it. */
export interface MessageFate {
  kind: SoakKind;
  /** Deliveries the handler recorded (0 when never recorded). */
  deliveries: number;
  /** The receive count of the last recorded delivery. */
  lastReceiveCount: number;
  inDlq: boolean;
}

/**
 * A message is lost when it is neither where it must end nor anywhere else it may:
 * a poison message must be in its DLQ; a plain one recorded or in its DLQ; a message that
 * misbehaves on its first delivery recorded on a later delivery (the one that succeeded) or in its DLQ.
 */
export function isLost(fate: MessageFate): boolean {
  if (fate.inDlq) return false;
  switch (fate.kind) {
    case Kind.Poison:
      return true;
    case Kind.Plain:
      return fate.deliveries === 0;
    default:
      return fate.lastReceiveCount < 2;
  }
}

/** What a soak checks at the end, each with the evidence a reader needs. */
export interface SoakInvariants {
  sent: number;
  lost: string[];
  /** Plain messages recorded more than once / plain messages recorded. */
  duplicateRate: number;
  /** Messages still in a source queue at the end (must be 0). */
  leftInQueues: number;
  inDlq: number;
  /** Seconds from the faults stopping until every route had its desired loops, all heartbeating. */
  convergenceSec: number;
  convergenceBoundSec: number;
  /** Loops seen running on a token that had revoked or taken them over, a full cycle after it did. */
  zombieLoops: string[];
  scaledUp: boolean;
  scaledDown: boolean;
}

/** The broken invariants, as sentences; empty when the soak passed. */
export function brokenInvariants(inv: SoakInvariants): string[] {
  const broken: string[] = [];
  if (inv.lost.length > 0) {
    broken.push(`${inv.lost.length} message(s) lost, e.g. ${inv.lost.slice(0, 5).join(", ")}`);
  }
  if (inv.leftInQueues > 0) broken.push(`${inv.leftInQueues} message(s) never drained from their queues`);
  if (inv.convergenceSec > inv.convergenceBoundSec) {
    broken.push(
      `routes took ${inv.convergenceSec.toFixed(1)} s to return to their desired loop counts (bound ${inv.convergenceBoundSec} s)`,
    );
  }
  if (inv.zombieLoops.length > 0) {
    broken.push(`loops alive on revoked or taken-over tokens: ${inv.zombieLoops.slice(0, 5).join(", ")}`);
  }
  if (!inv.scaledUp) broken.push("no scale-up happened during the run");
  if (!inv.scaledDown) broken.push("no scale-down happened during the run");
  return broken;
}
