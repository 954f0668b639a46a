import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { ScanCommand, type ScanCommandOutput } from "@aws-sdk/lib-dynamodb";
import { orderKeyPrefix } from "@sqs-dispatcher/functions/handlers/deliveryRecorder";
import { soakIdOf } from "./soakMessages.js";
import type { SoakRun } from "./soakRun.js";

/** Where the soak's messages ended: in a DLQ, recorded by the handler, and each FIFO group's delivery log. */
export interface MessageFates {
  /** Soak ids found in the DLQs (read and deleted). */
  readonly dlqIds: Set<string>;
  /** Soak ids the handler recorded, with its delivery count and the last receive count. */
  readonly recorded: Map<string, { deliveries: number; receiveCount: number }>;
  /** Each FIFO queue's delivery log per message group, keyed `<queue>#<group>` (SQS message ids in delivery order). */
  readonly orderLogs: Map<string, string[]>;
}

/** Empties the DLQs and reads the `processed` table: where did every message end? */
export async function collectMessageFates(
  { deployment, urls }: SoakRun,
  queueNames: readonly string[],
): Promise<MessageFates> {
  const { sqs, doc } = deployment.clients;
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
  let start: Record<string, unknown> | undefined;
  do {
    const page: ScanCommandOutput = await doc.send(
      new ScanCommand({ TableName: deployment.tables.processed, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const key = String(item.messageId);
      if (key.startsWith(orderKeyPrefix))
        orderLogs.set(key.slice(orderKeyPrefix.length), item.seen as string[]);
      const id = soakIdOf(String(item.body ?? ""));
      if (id)
        recorded.set(id, { deliveries: Number(item.deliveries), receiveCount: Number(item.receiveCount) });
    }
    start = page.LastEvaluatedKey;
  } while (start);

  return { dlqIds, recorded, orderLogs };
}
