import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from "@aws-sdk/client-sqs";
import { ScanCommand, type ScanCommandOutput } from "@aws-sdk/lib-dynamodb";
import { defineDispatcher, type Registry } from "@sqs-dispatcher/config";
import { type Clock, type Logger, silentLogger, systemClock } from "@sqs-dispatcher/core";
import { orderKeyPrefix } from "@sqs-dispatcher/functions/handlers/deliveryRecorder";
import {
  CommonFaults,
  deployLocal,
  type FaultCounts,
  PlatformFunction,
  startEnvironmentChaos,
  startLocalCloud,
} from "@sqs-dispatcher/local";
import { defaultSoakMix, type SoakMessage, type SoakMix, soakIdOf, soakMessage } from "./soakMessages.js";
import {
  brokenInvariants,
  isLost,
  type MessageFate,
  orderViolations,
  type SoakInvariants,
} from "./soakVerdict.js";

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Messages sent to each of the three queues. */
  messagesPerQueue: number;
  mix?: SoakMix;
  /** Inject throttles, 429s and 500s and kill execution environments (default true). */
  faults?: boolean;
  /** Replace the poller's code (`path/to/module.export`): the soak's own test breaks it on purpose. */
  pollerHandler?: string;
  /** Give up on draining after this long (default: scales with the message count). */
  timeoutMs?: number;
  random?: () => number;
  clock?: Clock;
  logger?: Logger;
  /** Progress lines (phase changes, counts). */
  onProgress?: (line: string) => void;
  /** Enforce the stack's IAM on every function (default true): a denied call breaks the soak. */
  enforceIam?: boolean;
}

/** What a soak saw and whether its invariants held. */
export interface SoakReport {
  invariants: SoakInvariants;
  /** Broken invariants as sentences; empty when the soak passed. */
  broken: string[];
  durationSec: number;
  /** The settings the soak ran with (engine v2: batches in flight per loop, timer renewal). */
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

// The local Lambda service counts a cold start's init against the timeout; with up to 4 batches in
// flight per loop, a dozen environments can start at once on a 2-core machine and take seconds to
// init: 2 s timed most of them out (every timeout discards its environment, so the next invoke starts
// cold again). 5 s leaves room for that.
const handlerTimeoutSec = 5;
/** Batches in the handler at once per loop on every route (engine v2; the default is 4). */
const soakConcurrency = 4;
// Timer renewal, as on AWS: a loop renews its lease every `renewEverySec`, not before every receive.
// Restart may call a token stale only after the longest gap between renewals (the registry checks
// it): renewEverySec 3 + waitTimeSec 1 + handler timeout 5 + marginSec 1 = 10 < staleAfterSec 11.
const local = {
  poller: { timeoutSec: 20, waitTimeSec: 1, marginSec: 1, routeCacheTtlSec: 1, renewEverySec: 3 },
  restart: { intervalSec: 2, staleAfterSec: 11, startGraceSec: 6 },
};
const queueNames = ["soak-a", "soak-b", "soak-c.fifo"] as const;
// FIFO order holds per group: a failed batch blocks its groups until the visibility timeout, so a FIFO
// queue keeps many groups to stay busy (as real FIFO workloads do).
const fifoGroups = 50;

/**
 * The soak's registry: three queues (one FIFO) on the `record` handler, one of them alarm-scaled,
 * each loop with up to {@link soakConcurrency} batches in flight.
 */
export function soakRegistry(messagesPerQueue: number): Registry {
  const queue = (name: string) => ({ name, visibilityTimeoutSec: handlerTimeoutSec + 1, maxReceiveCount: 4 });
  return defineDispatcher({
    app: "soak",
    functions: {
      record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: handlerTimeoutSec },
    },
    routes: [
      {
        queue: queue("soak-a"),
        function: "record",
        minLoops: 1,
        maxLoops: 3,
        scaleStep: 2,
        concurrency: soakConcurrency,
        alarms: [{ threshold: Math.max(1, Math.floor(messagesPerQueue * 0.3)) }],
      },
      { queue: queue("soak-b"), function: "record", minLoops: 1, maxLoops: 2, concurrency: soakConcurrency },
      {
        queue: queue("soak-c.fifo"),
        function: "record",
        minLoops: 1,
        maxLoops: 1,
        concurrency: soakConcurrency,
      },
    ],
    local,
  });
}

interface TokenRow {
  queueUrl: string;
  token: string;
  loopId: string;
  lastUsed?: number;
}

/**
 * A chaos soak on a fresh local cloud: three queues (one FIFO), handler failures, crashes and
 * timeouts, throttled DynamoDB writes, 429s on Invoke, 500s on ReceiveMessage, killed execution
 * environments, and a scale-up and a scale-down while it runs. Then it checks what must hold:
 * no message lost (each recorded, or in its DLQ), every route back to its desired loops soon
 * after the faults stop, and no loop alive on a revoked or taken-over token.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const progress = options.onProgress ?? (() => undefined);
  const mix = options.mix ?? defaultSoakMix;
  const faultsOn = options.faults ?? true;
  const perQueue = options.messagesPerQueue;
  const timeoutMs = options.timeoutMs ?? 120_000 + perQueue * 3 * 15;
  const startedAt = clock.now();

  const registry = soakRegistry(perQueue);
  const cloud = await startLocalCloud({
    port: 0,
    logger: options.logger ?? silentLogger,
    enforceIam: options.enforceIam ?? true,
  });
  const deployment = await deployLocal(cloud, registry, { logger: options.logger ?? silentLogger }).catch(
    async (error: unknown) => {
      await cloud.stop();
      throw error;
    },
  );
  const { sqs, doc, cloudwatch } = deployment.clients;
  const urls = Object.fromEntries(deployment.queues.map((q) => [q.name, q])) as Record<
    string,
    { url: string; dlqUrl?: string }
  >;
  const urlOf = (name: string) => urls[name]?.url as string;
  const nameOfUrl = new Map(deployment.queues.map((q) => [q.url, q.name]));

  const stopChaos: (() => void)[] = [];
  let watcher: Promise<void> | undefined;
  let watching = true;
  try {
    if (options.pollerHandler) {
      const poller = cloud.lambda.list().find((f) => f.name === PlatformFunction.Poller);
      if (!poller) throw new Error("the deployment has no poller");
      await cloud.lambda.register({ ...poller, handler: options.pollerHandler });
    }

    const tokens = async (): Promise<TokenRow[]> => {
      const rows: TokenRow[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page: ScanCommandOutput = await doc.send(
          new ScanCommand({
            TableName: deployment.tables.tokens,
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        rows.push(...((page.Items ?? []) as TokenRow[]));
        start = page.LastEvaluatedKey;
      } while (start);
      return rows;
    };
    const waitFor = async <T>(
      what: string,
      probe: () => Promise<T | undefined>,
      limitMs: number,
    ): Promise<T> => {
      const deadline = clock.now() + limitMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (clock.now() > deadline) throw new Error(`soak: ${what} did not happen within ${limitMs} ms`);
        await clock.sleep(250);
      }
    };

    await waitFor(
      "the first loops",
      async () => ((await tokens()).filter((t) => t.lastUsed !== undefined).length >= 3 ? true : undefined),
      // Generous: on a shared 2-core machine the first cold starts of 4 loops' worth of batches are slow.
      120_000,
    );
    progress("platform up: 3 queues, one loop each");

    // Watch the loops all along: loop counts per queue, and loops running on tokens that no longer name them.
    const cycleMs = (local.poller.waitTimeSec + handlerTimeoutSec + local.poller.marginSec) * 1000;
    // A loop notices a lost lease at its next renewal, up to renewEverySec and a cycle later.
    const renewalGapMs = local.poller.renewEverySec * 1000 + cycleMs;
    const zombieAfterMs = renewalGapMs + 5_000;
    const strayFirstSeen = new Map<string, number>();
    const zombies = new Set<string>();
    const loopCounts = new Map<string, number[]>(queueNames.map((n) => [n, []]));
    watcher = (async () => {
      while (watching) {
        try {
          const rows = await tokens();
          const held = new Map(rows.map((r) => [`${r.queueUrl} ${r.token}`, r.loopId]));
          for (const name of queueNames) {
            loopCounts.get(name)?.push(rows.filter((r) => r.queueUrl === urlOf(name)).length);
          }
          const now = clock.now();
          for (const running of cloud.lambda.running(PlatformFunction.Poller)) {
            const event = JSON.parse(running.payload) as Partial<TokenRow>;
            if (!event.queueUrl || !event.token || !event.loopId) continue;
            if (held.get(`${event.queueUrl} ${event.token}`) === event.loopId) continue;
            const key = `${nameOfUrl.get(event.queueUrl) ?? event.queueUrl}/${event.token}@${event.loopId}`;
            const first = strayFirstSeen.get(key);
            if (first === undefined) strayFirstSeen.set(key, now);
            else if (now - first > zombieAfterMs) zombies.add(key);
          }
        } catch {
          // A throttled scan (faults) just skips one look.
        }
        await clock.sleep(500);
      }
    })();

    let kills = { kills: 0 };
    if (faultsOn) {
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
      kills = chaos;
      stopChaos.push(() => chaos.stop());
      progress(
        "faults on: 2% DynamoDB UpdateItem throttles, 2% Invoke 429s, 2% ReceiveMessage 500s, killed environments",
      );
    }

    // The traffic: every message carries its soak id, so it can be found again after a redrive.
    const sent = new Map<string, SoakMessage>();
    /** FIFO messages by SQS message id: their group and position in it, for the order check. */
    const fifoPositions = new Map<string, { group: string; position: number }>();
    await Promise.all(
      queueNames.map(async (name) => {
        const fifo = name.endsWith(".fifo");
        const messages = Array.from({ length: perQueue }, (_, n) =>
          soakMessage(name, n, mix, random, handlerTimeoutSec * 1000),
        );
        for (const m of messages) sent.set(m.id, m);
        for (let i = 0; i < messages.length; i += 10) {
          const chunk = messages.slice(i, i + 10);
          const result = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: urlOf(name),
              Entries: chunk.map((m, j) => ({
                Id: String(j),
                // On the FIFO queue the handler also logs each delivery per group (the order check).
                MessageBody: fifo ? JSON.stringify({ ...JSON.parse(m.body), traceOrder: true }) : m.body,
                ...(fifo
                  ? {
                      MessageGroupId: `g${(i + j) % fifoGroups}`,
                      MessageDeduplicationId: m.id.replace(/[^\w-]/g, "_"),
                    }
                  : {}),
              })),
            }),
          );
          if (result.Failed?.length) throw new Error(`soak: send failed: ${JSON.stringify(result.Failed)}`);
          if (fifo) {
            for (const ok of result.Successful ?? []) {
              const j = Number(ok.Id);
              fifoPositions.set(ok.MessageId as string, {
                group: `g${(i + j) % fifoGroups}`,
                position: Math.floor((i + j) / fifoGroups),
              });
            }
          }
        }
      }),
    );
    progress(`sent ${sent.size} messages`);

    // A scale-up now, while the backlog is deep, and a scale-down once it has drained halfway.
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

    const depthOf = async (url: string) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
          ],
        }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
      );
    };
    const remaining = async () => {
      let total = 0;
      for (const name of queueNames) total += await depthOf(urlOf(name));
      return total;
    };
    await waitFor(
      "half the traffic drained",
      async () => ((await remaining()) <= sent.size / 2 ? true : undefined),
      timeoutMs,
    );
    // The evaluator may have put the alarm back to OK already (that is a scale-down too); force the transition otherwise.
    await setAlarm("ALARM").catch(() => undefined);
    await clock.sleep(1_000);
    await setAlarm("OK");
    progress("half drained; soak-a alarm back to OK");

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

    // The faults stop: from here, every route must return to its desired loops, all alive.
    for (const stop of stopChaos) stop();
    cloud.faults.set([]);
    const faultsStoppedAt = clock.now();
    // A live loop's heartbeat is at most one renewal gap old.
    const liveWindowMs = renewalGapMs + 1_000;
    await waitFor(
      "every route back to its desired loops",
      async () => {
        const rows = await tokens();
        const running = new Set(
          cloud.lambda.running(PlatformFunction.Poller).map((r) => {
            const e = JSON.parse(r.payload) as TokenRow;
            return `${e.queueUrl} ${e.token} ${e.loopId}`;
          }),
        );
        for (const route of registry.routes) {
          const mine = rows.filter((r) => r.queueUrl === urlOf(route.queue.name));
          if (mine.length < Math.max(1, route.minLoops) || mine.length > route.maxLoops) return undefined;
          for (const t of mine) {
            if (t.lastUsed === undefined || clock.now() - t.lastUsed > liveWindowMs) return undefined;
            if (!running.has(`${t.queueUrl} ${t.token} ${t.loopId}`)) return undefined;
          }
        }
        return true;
      },
      120_000,
    );
    const convergenceSec = (clock.now() - faultsStoppedAt) / 1000;
    progress(`routes back to their desired loops in ${convergenceSec.toFixed(1)} s`);
    // Give a loop on a lost token a full cycle more to show itself.
    await clock.sleep(zombieAfterMs);
    watching = false;
    await watcher;

    // Where did every message end?
    const dlqIds = new Set<string>();
    for (const name of queueNames) {
      const dlqUrl = urls[name]?.dlqUrl;
      if (!dlqUrl) continue;
      let empty = 0;
      while (empty < 2) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 600,
          }),
        );
        if (Messages.length === 0) {
          empty++;
          continue;
        }
        for (const m of Messages) {
          const id = soakIdOf(m.Body ?? "");
          if (id) dlqIds.add(id);
        }
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: dlqUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
          }),
        );
      }
    }
    const recorded = new Map<string, { deliveries: number; receiveCount: number }>();
    const orderLogs = new Map<string, string[]>();
    const orderLogPrefix = `${orderKeyPrefix}${"soak-c.fifo"}#`;
    let start: Record<string, unknown> | undefined;
    do {
      const page: ScanCommandOutput = await doc.send(
        new ScanCommand({ TableName: deployment.tables.processed, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) {
        const key = String(item.messageId);
        if (key.startsWith(orderLogPrefix))
          orderLogs.set(key.slice(orderLogPrefix.length), item.seen as string[]);
        const id = soakIdOf(String(item.body ?? ""));
        if (id)
          recorded.set(id, { deliveries: Number(item.deliveries), receiveCount: Number(item.receiveCount) });
      }
      start = page.LastEvaluatedKey;
    } while (start);

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
      .flatMap((u) => u.denied.map((d) => `${u.functionName}: ${d.action} on ${d.resource} (${d.count}×)`));
    return {
      invariants,
      broken: [
        ...brokenInvariants(invariants),
        ...(iamDenied.length > 0
          ? [`the stack's IAM denied ${iamDenied.length} authorization(s): ${iamDenied.join("; ")}`]
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
          finalLoops: finalRows.filter((r) => r.queueUrl === urlOf(name)).length,
        };
      }),
    };
  } finally {
    watching = false;
    await watcher?.catch(() => undefined);
    for (const stop of stopChaos) stop();
    cloud.faults.set([]);
    await deployment.stopLoops().catch(() => undefined);
    await deployment.stop().catch(() => undefined);
    await cloud.stop();
  }
}
