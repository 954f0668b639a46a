import { listOffenders } from "@sqs-dispatcher/config";
import { SHARED_MEMBER_TOKEN } from "@sqs-dispatcher/core";
import type { FaultCounts } from "@sqs-dispatcher/local";
import type { LoopWatcher } from "./loopWatcher.js";
import type { MessageFates } from "./messageFates.js";
import { fifoGroups, local, queueNames, soakConcurrency } from "./soakRegistry.js";
import type { SoakRun } from "./soakRun.js";
import type { SoakTraffic } from "./soakTraffic.js";
import {
  brokenInvariants,
  isLost,
  type MessageFate,
  orderViolations,
  type SoakInvariants,
} from "./soakVerdict.js";

/** What a soak saw and whether its invariants held. */
export interface SoakReport {
  invariants: SoakInvariants;
  /** Broken invariants as sentences; empty when the soak passed. */
  broken: string[];
  durationSec: number;
  /** The settings the soak ran with (batches in flight per loop, timer renewal). */
  settings: { concurrency: number; renewEverySec: number; staleAfterSec: number; fifoGroups: number };
  faultCounts: FaultCounts;
  /** Calls the platform's functions made that their roles do not allow (`function: action on resource`). */
  iamDenied: string[];
  environmentsKilled: number;
  /** The `record` handler as the local Lambda service saw it (cold starts, timeouts, throttles). */
  handler: { invocations: number; errors: number; timeouts: number; throttles: number; coldStarts: number };
  queues: {
    name: string;
    sent: number;
    recorded: number;
    inDlq: number;
    maxLoops: number;
    finalLoops: number;
  }[];
}

/** What {@link buildSoakReport} reads besides the run. */
export interface SoakObservations {
  readonly traffic: SoakTraffic;
  readonly fates: MessageFates;
  readonly watcher: Pick<LoopWatcher, "loopCounts" | "zombies">;
  readonly convergenceSec: number;
  readonly kills: { readonly kills: number };
  readonly startedAt: number;
}

/** Checks the invariants against what the soak saw and builds its report. */
export async function buildSoakReport(
  { cloud, clock, probes, urlOf }: SoakRun,
  { traffic, fates, watcher, convergenceSec, kills, startedAt }: SoakObservations,
): Promise<SoakReport> {
  const { tokens, remaining } = probes;
  const { sent, fifoPositions } = traffic;
  const { dlqIds, recorded, orderLogs } = fates;
  const { loopCounts, zombies } = watcher;
  const lost: string[] = [];
  let plainRecorded = 0;
  let plainDuplicated = 0;
  for (const [id, message] of sent) {
    const r = recorded.get(id);
    const fate: MessageFate = {
      kind: message.kind,
      deliveries: r?.deliveries ?? 0,
      lastReceiveCount: r?.receiveCount ?? 0,
      inDlq: dlqIds.has(id),
    };
    if (isLost(fate)) lost.push(id);
    if (message.kind === "plain" && r) {
      plainRecorded++;
      if (r.deliveries > 1) plainDuplicated++;
    }
  }

  // FIFO order per group: each message's last delivery in send order (soakVerdict's orderViolations).
  const violations: string[] = [];
  let orderedDeliveries = 0;
  for (const [group, seen] of orderLogs) {
    const log = seen.flatMap((messageId) => {
      const at = fifoPositions.get(messageId);
      return at && at.group === group ? [at.position] : [];
    });
    orderedDeliveries += log.length;
    for (const v of orderViolations(log)) violations.push(`${group}: ${v}`);
  }

  const countsA = loopCounts.get("soak-a") ?? [];
  const peakA = Math.max(0, ...countsA);
  const afterPeak = countsA.slice(countsA.indexOf(peakA));
  const finalRows = await tokens();
  const invariants: SoakInvariants = {
    sent: sent.size,
    lost,
    duplicateRate: plainRecorded === 0 ? 0 : plainDuplicated / plainRecorded,
    leftInQueues: await remaining(),
    inDlq: dlqIds.size,
    convergenceSec,
    // "Within two restart intervals of the faults stopping", counted from when restart can first
    // know: a loop killed just before the faults stop is stale only `staleAfterSec` after its last
    // heartbeat, and no restart can tell a dead loop from a busy one sooner.
    convergenceBoundSec: local.restart.staleAfterSec + 2 * local.restart.intervalSec,
    zombieLoops: [...zombies],
    scaledUp: peakA > 1,
    scaledDown: afterPeak.some((n) => n < peakA),
    fifoOrder: { groups: orderLogs.size, deliveries: orderedDeliveries, violations },
  };
  const iamDenied = cloud.iam
    .usage()
    .flatMap((u) => u.denied.map((d) => ({ ...d, functionName: u.functionName })))
    .sort((a, b) => b.count - a.count)
    .map((d) => `${d.functionName}: ${d.action} on ${d.resource} (${d.count}×)`);
  return {
    invariants,
    broken: [
      ...brokenInvariants(invariants),
      ...(iamDenied.length > 0
        ? [`the stack's IAM denied ${iamDenied.length} authorization(s): ${listOffenders(iamDenied, "; ")}`]
        : []),
    ],
    iamDenied,
    durationSec: (clock.now() - startedAt) / 1000,
    settings: {
      concurrency: soakConcurrency,
      renewEverySec: local.poller.renewEverySec,
      staleAfterSec: local.restart.staleAfterSec,
      fifoGroups,
    },
    faultCounts: cloud.faults.counts(),
    environmentsKilled: kills.kills,
    handler: (({ invocations, errors, timeouts, throttles, coldStarts }) => ({
      invocations,
      errors,
      timeouts,
      throttles,
      coldStarts,
    }))(cloud.lambda.stats("record")),
    queues: queueNames.map((name) => {
      const ids = [...sent.values()].filter((m) => m.id.startsWith(`${name}#`)).map((m) => m.id);
      return {
        name,
        sent: ids.length,
        recorded: ids.filter((id) => recorded.has(id)).length,
        inDlq: ids.filter((id) => dlqIds.has(id)).length,
        maxLoops: Math.max(0, ...(loopCounts.get(name) ?? [])),
        finalLoops: finalRows.filter((r) => r.queueUrl === urlOf(name) && r.token !== SHARED_MEMBER_TOKEN)
          .length,
      };
    }),
  };
}
