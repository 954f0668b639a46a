import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { type SoakMessage, type SoakMix, soakMessage } from "./soakMessages.js";
import {
  busyQueueNames,
  fifoGroups,
  handlerTimeoutSec,
  local,
  quietLullPolls,
  quietQueueNames,
  quietWaves,
} from "./soakRegistry.js";
import type { SoakRun } from "./soakRun.js";

/** What the soak sent: every message by its soak id, and each FIFO message's group and position. */
export interface SoakTraffic {
  readonly sent: Map<string, SoakMessage>;
  /**
   * FIFO messages by SQS message id: their group (`<queue>#<group>`, as the order logs are keyed)
   * and position in it, for the order check.
   */
  readonly fifoPositions: Map<string, { group: string; position: number }>;
}

/** FIFO groups of a quiet FIFO queue: few, as a quiet queue's traffic has. */
const quietFifoGroups = 5;

/** Sends messages `from`..`from + count - 1` of a queue's soak traffic, in batches of 10. */
async function sendMessages(
  { deployment, urlOf }: SoakRun,
  traffic: SoakTraffic,
  name: string,
  range: { from: number; count: number; groups: number },
  mix: SoakMix,
  random: () => number,
): Promise<void> {
  const { sqs } = deployment.clients;
  const fifo = name.endsWith(".fifo");
  const messages = Array.from({ length: range.count }, (_, k) =>
    soakMessage(name, range.from + k, mix, random, handlerTimeoutSec * 1000),
  );
  for (const m of messages) traffic.sent.set(m.id, m);
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const groupOf = (j: number) => `g${(range.from + i + j) % range.groups}`;
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: urlOf(name),
        Entries: chunk.map((m, j) => ({
          Id: String(j),
          // On a FIFO queue the handler also logs each delivery per group (the order check).
          MessageBody: fifo ? JSON.stringify({ ...JSON.parse(m.body), traceOrder: true }) : m.body,
          ...(fifo
            ? { MessageGroupId: groupOf(j), MessageDeduplicationId: m.id.replace(/[^\w-]/g, "_") }
            : {}),
        })),
      }),
    );
    if (result.Failed?.length) throw new Error(`soak: send failed: ${JSON.stringify(result.Failed)}`);
    if (fifo) {
      for (const ok of result.Successful ?? []) {
        const j = Number(ok.Id);
        traffic.fifoPositions.set(ok.MessageId as string, {
          group: `${name}#${groupOf(j)}`,
          position: Math.floor((range.from + i + j) / range.groups),
        });
      }
    }
  }
}

/** An empty record of traffic, which {@link sendSoakTraffic} and {@link sendQuietWaves} fill. */
export function emptySoakTraffic(): SoakTraffic {
  return { sent: new Map(), fifoPositions: new Map() };
}

/**
 * Sends `perQueue` messages of the mix to each busy queue; every message carries its soak id, so
 * it can be found again after a redrive.
 */
export async function sendSoakTraffic(
  run: SoakRun,
  traffic: SoakTraffic,
  perQueue: number,
  mix: SoakMix,
  random: () => number,
): Promise<void> {
  await Promise.all(
    busyQueueNames.map((name) =>
      sendMessages(run, traffic, name, { from: 0, count: perQueue, groups: fifoGroups }, mix, random),
    ),
  );
  run.progress(`sent ${perQueue * busyQueueNames.length} messages to the busy queues`);
}

/**
 * The quiet queues' traffic, which comes and goes: {@link quietWaves} waves of `perQueue /
 * quietWaves` messages to each quiet queue; after each, until the quiet queues are empty, then a
 * lull of {@link quietLullPolls} long polls with nothing sent, so their shared loop idles between
 * waves (and the faults go on meanwhile).
 */
export async function sendQuietWaves(
  run: SoakRun,
  traffic: SoakTraffic,
  perQueue: number,
  mix: SoakMix,
  random: () => number,
  timeoutMs: number,
): Promise<void> {
  const { clock, probes, urlOf, progress } = run;
  const perWave = Math.max(1, Math.ceil(perQueue / quietWaves));
  for (let wave = 0; wave < quietWaves; wave++) {
    await Promise.all(
      quietQueueNames.map((name) =>
        sendMessages(
          run,
          traffic,
          name,
          { from: wave * perWave, count: perWave, groups: quietFifoGroups },
          mix,
          random,
        ),
      ),
    );
    await probes.waitFor(
      `quiet wave ${wave + 1} drained`,
      async () => {
        for (const name of quietQueueNames) if ((await probes.depthOf(urlOf(name))) > 0) return undefined;
        return true;
      },
      timeoutMs,
    );
    progress(`quiet wave ${wave + 1}/${quietWaves}: ${perWave} messages to each quiet queue, drained`);
    if (wave < quietWaves - 1) await clock.sleep(quietLullPolls * local.poller.waitTimeSec * 1000);
  }
}
