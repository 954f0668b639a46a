import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Logger } from "@sqs-dispatcher/core";

/** One queue the demo sends to, and how much. */
export interface DemoTarget {
  name: string;
  url: string;
  /** Messages per burst. */
  burstSize: number;
  /** Share of this target's messages that ask to fail; default the traffic's `failRate`. */
  failRate?: number;
}

/** Options of {@link startDemoTraffic}. */
export interface DemoTrafficOptions {
  sqs: SQSClient;
  targets: DemoTarget[];
  /** Pause between the end of one burst and the start of the next. */
  intervalMs?: number;
  /** Share of messages that ask to fail (they end in the DLQ after maxReceiveCount). */
  failRate?: number;
  /** Share of messages that ask the handler to sleep a little. */
  slowRate?: number;
  /** Message groups of a FIFO target. */
  fifoGroups?: number;
  random?: () => number;
  logger?: Pick<Logger, "info" | "warn">;
}

/** The demo's sender; `stop()` resolves once no send is in flight. */
export interface DemoTraffic {
  /** Messages sent so far per queue name. */
  readonly sent: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

const sendConcurrency = 8;

/** The body of demo message `n`: mostly plain orders, a few slow ones, a few poison ones. */
export function demoBody(n: number, random: () => number, failRate: number, slowRate: number): string {
  const roll = random();
  if (roll < failRate) return JSON.stringify({ n, fail: true });
  if (roll < failRate + slowRate) return JSON.stringify({ n, sleepMs: 100 + Math.floor(random() * 900) });
  return JSON.stringify({ n, amount: Math.round(random() * 10_000) / 100 });
}

/**
 * Bursty demo traffic: every interval, a burst of `burstSize` messages to each target,
 * sent as batches of 10 (FIFO targets get message groups and deduplication ids).
 */
export function startDemoTraffic(options: DemoTrafficOptions): DemoTraffic {
  const random = options.random ?? Math.random;
  const intervalMs = options.intervalMs ?? 25_000;
  const failRate = options.failRate ?? 0.002;
  const slowRate = options.slowRate ?? 0.01;
  const groups = options.fifoGroups ?? 8;
  const sent = new Map(options.targets.map((t) => [t.name, 0]));
  let stopped = false;
  let counter = 0;
  let wake: (() => void) | undefined;

  async function burst(target: DemoTarget): Promise<void> {
    const fifo = target.name.endsWith(".fifo");
    let remaining = target.burstSize;
    const nextBatch = (): SendMessageBatchRequestEntry[] => {
      const size = Math.min(10, remaining);
      remaining -= size;
      return Array.from({ length: size }, (_, i) => {
        const n = ++counter;
        return {
          Id: String(i),
          MessageBody: demoBody(n, random, target.failRate ?? failRate, slowRate),
          ...(fifo
            ? { MessageGroupId: `group-${n % groups}`, MessageDeduplicationId: `${Date.now()}-${n}` }
            : {}),
        };
      });
    };
    const worker = async () => {
      while (!stopped && remaining > 0) {
        const entries = nextBatch();
        const result = await options.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: target.url, Entries: entries }),
        );
        sent.set(target.name, (sent.get(target.name) ?? 0) + (result.Successful?.length ?? 0));
      }
    };
    await Promise.all(Array.from({ length: sendConcurrency }, worker));
  }

  const running = (async () => {
    while (!stopped) {
      try {
        await Promise.all(options.targets.map(burst));
      } catch (error) {
        if (!stopped) options.logger?.warn("demo burst failed", { error: String(error) });
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  return {
    sent,
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
