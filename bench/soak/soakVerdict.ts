import { listOffenders } from "@sqs-dispatcher/config";
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
  /** Per-group order on the FIFO queue, from the handler's order log (`traceOrder`). */
  fifoOrder: {
    /** Groups whose order log was read. */
    groups: number;
    /** Deliveries in those logs. */
    deliveries: number;
    /** Each message that finished before one sent earlier in its group, as `group: later before earlier`. */
    violations: string[];
  };
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
    broken.push(`loops alive on revoked or taken-over tokens: ${listOffenders(inv.zombieLoops)}`);
  }
  if (inv.fifoOrder.violations.length > 0) {
    broken.push(
      `FIFO order broken in ${inv.fifoOrder.violations.length} place(s), e.g. ${inv.fifoOrder.violations.slice(0, 5).join(", ")}`,
    );
  }
  if (!inv.scaledUp) broken.push("no scale-up happened during the run");
  if (!inv.scaledDown) broken.push("no scale-down happened during the run");
  return broken;
}

/**
 * Order violations in one FIFO group's delivery log (send positions, in the order the handler
 * recorded them; a message appears once per delivery). A message may be delivered again (its batch
 * failed, crashed or was redelivered), so what must be in send order is each message's *last*
 * delivery, the one that finished it: a message whose last delivery comes after that of a message
 * sent later in its group was processed out of order. Returns `later before earlier` pairs.
 */
export function orderViolations(log: readonly number[]): string[] {
  const last = new Map<number, number>();
  log.forEach((position, at) => {
    last.set(position, at);
  });
  const bySend = [...last.entries()].sort(([a], [b]) => a - b);
  const violations: string[] = [];
  let latest: [number, number] | undefined;
  for (const [position, at] of bySend) {
    if (latest && at < latest[1]) violations.push(`#${position} finished before #${latest[0]}`);
    if (!latest || at > latest[1]) latest = [position, at];
  }
  return violations;
}
