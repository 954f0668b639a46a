import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { type SoakMessage, type SoakMix, soakMessage } from "./soakMessages.js";
import { fifoGroups, handlerTimeoutSec, queueNames } from "./soakRegistry.js";
import type { SoakRun } from "./soakRun.js";

/** What the soak sent: every message by its soak id, and each FIFO message's group and position. */
export interface SoakTraffic {
  readonly sent: Map<string, SoakMessage>;
  /** FIFO messages by SQS message id: their group and position in it, for the order check. */
  readonly fifoPositions: Map<string, { group: string; position: number }>;
}

/** Sends `perQueue` messages of the mix to each queue; every message carries its soak id, so it can be found again after a redrive. */
export async function sendSoakTraffic(
  { deployment, urlOf, progress }: SoakRun,
  perQueue: number,
  mix: SoakMix,
  random: () => number,
): Promise<SoakTraffic> {
  const { sqs } = deployment.clients;
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

  return { sent, fifoPositions };
}
