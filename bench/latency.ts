import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { BatchGetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { systemClock } from "@sqs-dispatcher/core";
import { benchRegistry, startBenchPlatform } from "./support/benchPlatform.js";
import { quantile } from "./support/stats.js";

export interface LatencyResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Send → handler start on an idle queue with one loop: messages are sent one at a time,
 * `gapMs` apart, and the `stamp` handler writes when each reached it.
 */
export async function benchLatency(samples: number, gapMs = 100): Promise<LatencyResult> {
  const platform = await startBenchPlatform(
    benchRegistry([{ queue: { name: "latency", visibilityTimeoutSec: 30 }, function: "stamp" }]),
  );
  try {
    const { sqs, doc } = platform.deployment.clients;
    const url = platform.url("latency");
    const table = platform.deployment.tables.processed;
    // Wait until the loop is polling: one warm-up message must come through first.
    const sent = new Map<string, number>();
    for (let i = 0; i < samples + 1; i++) {
      const before = systemClock.now();
      const { MessageId } = await sqs.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: `{"i":${i}}` }),
      );
      if (i > 0) sent.set(MessageId!, before);
      else await waitForStamps(doc, table, [MessageId!], 60_000);
      await systemClock.sleep(gapMs);
    }
    const stamps = await waitForStamps(doc, table, [...sent.keys()], 60_000);
    const latencies = [...sent].map(([id, before]) => (stamps.get(id) as number) - before);
    return {
      samples: latencies.length,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      maxMs: Math.max(...latencies),
    };
  } finally {
    await platform.stop();
  }
}

async function waitForStamps(
  doc: DynamoDBDocumentClient,
  table: string,
  ids: string[],
  timeoutMs: number,
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const deadline = systemClock.now() + timeoutMs;
  while (found.size < ids.length) {
    const missing = ids.filter((id) => !found.has(id));
    for (let i = 0; i < missing.length; i += 100) {
      const keys = missing.slice(i, i + 100).map((messageId) => ({ messageId }));
      const result = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
      for (const item of result.Responses?.[table] ?? [])
        found.set(item.messageId as string, item.startedAt as number);
    }
    if (found.size < ids.length) {
      if (systemClock.now() > deadline)
        throw new Error(`${ids.length - found.size} stamps missing after ${timeoutMs} ms`);
      await systemClock.sleep(100);
    }
  }
  return found;
}
