import { GetQueueUrlCommand, paginateListQueues, SQSClient } from "@aws-sdk/client-sqs";
import { isMissingQueue, type QueueDepth, readQueueDepth } from "@sqs-dispatcher/core/aws";

/** The `AWS/SQS` metrics the local evaluator computes (per `QueueName`). */
export const SqsMetric = {
  Visible: "ApproximateNumberOfMessagesVisible",
  NotVisible: "ApproximateNumberOfMessagesNotVisible",
  AgeOfOldest: "ApproximateAgeOfOldestMessage",
} as const;
export type SqsMetric = (typeof SqsMetric)[keyof typeof SqsMetric];

const supported = new Set<string>(Object.values(SqsMetric));

export function isSupportedSqsMetric(name: string): name is SqsMetric {
  return supported.has(name);
}

/** Reads one datapoint of a queue's metrics; undefined when the queue does not exist (no data). */
export interface QueueMetricsSource {
  sample(
    queueName: string,
    metrics: ReadonlySet<SqsMetric>,
  ): Promise<Partial<Record<SqsMetric, number>> | undefined>;
  /** Every queue's name, so each gets its `AWS/SQS` metrics as SQS publishes them for every queue. */
  queueNames?(): Promise<string[]>;
  close(): void;
}

export interface SqsMetricsSourceOptions {
  endpoint: () => string;
  region: string;
  now?: () => number;
}

/** A message as fauxqs's queue inspection lists it (the fields the age metric needs). */
export interface InspectedMessage {
  sentTimestamp?: number;
  approximateReceiveCount?: number;
}
interface InspectedQueue {
  messages?: {
    ready?: InspectedMessage[];
    delayed?: InspectedMessage[];
    inflight?: { message?: InspectedMessage }[];
  };
}

/** SQS moves a standard queue's message received this many times to the back of the age metric. */
export const ageMetricReceiveLimit = 3;

/**
 * `ApproximateAgeOfOldestMessage` as SQS computes it, in whole seconds: the age of the oldest
 * message not yet deleted (visible, delayed or in flight). On a standard queue a message received
 * three times or more no longer counts (SQS moves it to the back of the queue, so one poison
 * message does not hold the metric up) unless nothing else is left. 0 for an empty queue.
 */
export function ageOfOldestMessageSec(
  messages: readonly InspectedMessage[],
  now: number,
  fifo: boolean,
): number {
  const stamped = messages.filter((m) => typeof m.sentTimestamp === "number");
  const counted = fifo
    ? stamped
    : stamped.filter((m) => (m.approximateReceiveCount ?? 0) < ageMetricReceiveLimit);
  const pool = counted.length > 0 ? counted : stamped;
  if (pool.length === 0) return 0;
  const oldest = Math.min(...pool.map((m) => m.sentTimestamp as number));
  return Math.max(0, Math.floor((now - oldest) / 1000));
}

/**
 * Queue metrics read the way a client would: `GetQueueAttributes` through SDK v3 against the
 * local cloud's own endpoint. SQS's API has no age of the oldest message, so that one is read
 * from fauxqs's queue inspection endpoint (`GET /_fauxqs/queues/<name>`, reached through the
 * edge like any SQS request) and only when an alarm asks for it: it lists every message.
 *
 * Inherits fauxqs's quirk: `ApproximateNumberOfMessagesNotVisible` keeps counting messages
 * whose visibility expired until the queue's next receive.
 */
export function createSqsMetricsSource(options: SqsMetricsSourceOptions): QueueMetricsSource {
  const now = options.now ?? Date.now;
  let sqs: SQSClient | undefined;
  const client = () => {
    sqs ??= new SQSClient({
      endpoint: options.endpoint(),
      region: options.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
    return sqs;
  };
  const urls = new Map<string, string>();

  const queueUrl = async (name: string): Promise<string | undefined> => {
    const known = urls.get(name);
    if (known) return known;
    try {
      const url = (await client().send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
      if (url) urls.set(name, url);
      return url;
    } catch (error) {
      if (isMissingQueue(error)) return undefined;
      throw error;
    }
  };

  const ageOfOldest = async (name: string): Promise<number | undefined> => {
    const date = new Date().toISOString().slice(0, 10).replaceAll("-", "");
    const response = await fetch(`${options.endpoint()}/_fauxqs/queues/${encodeURIComponent(name)}`, {
      headers: {
        // The edge routes by the credential scope; fauxqs does not check signatures.
        authorization: `AWS4-HMAC-SHA256 Credential=test/${date}/${options.region}/sqs/aws4_request, SignedHeaders=host, Signature=local`,
      },
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`queue inspection of ${name} answered ${response.status}`);
    const inspected = (await response.json()) as InspectedQueue;
    const m = inspected.messages ?? {};
    return ageOfOldestMessageSec(
      [...(m.ready ?? []), ...(m.delayed ?? []), ...(m.inflight ?? []).map((i) => i.message ?? {})],
      now(),
      name.endsWith(".fifo"),
    );
  };

  return {
    async sample(name, metrics) {
      const url = await queueUrl(name);
      if (!url) return undefined;
      const out: Partial<Record<SqsMetric, number>> = {};
      if (metrics.has(SqsMetric.Visible) || metrics.has(SqsMetric.NotVisible)) {
        let depth: QueueDepth;
        try {
          depth = await readQueueDepth(client(), url);
        } catch (error) {
          if (isMissingQueue(error)) {
            urls.delete(name);
            return undefined;
          }
          throw error;
        }
        out[SqsMetric.Visible] = depth.visible;
        out[SqsMetric.NotVisible] = depth.inFlight;
      }
      if (metrics.has(SqsMetric.AgeOfOldest)) {
        const age = await ageOfOldest(name);
        if (age !== undefined) out[SqsMetric.AgeOfOldest] = age;
      }
      return out;
    },
    async queueNames() {
      const names: string[] = [];
      for await (const page of paginateListQueues({ client: client() }, {})) {
        for (const url of page.QueueUrls ?? []) {
          const name = url.split("/").at(-1);
          if (name) {
            names.push(name);
            urls.set(name, url);
          }
        }
      }
      return names;
    },
    close() {
      sqs?.destroy();
    },
  };
}
