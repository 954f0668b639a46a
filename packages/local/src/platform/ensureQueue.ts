import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { QueueConfig } from "@sqs-dispatcher/config";

/** A routed queue as deployed: its URL and that of its dead-letter queue (none for an imported queue). */
export interface DeployedQueue {
  name: string;
  url: string;
  arn: string;
  dlqName?: string;
  dlqUrl?: string;
}

const dlqRetentionSec = 1_209_600;

/** `orders` → `orders-dlq`; `payments.fifo` → `payments-dlq.fifo` (a FIFO queue's DLQ must be FIFO too). */
export function dlqNameOf(queueName: string): string {
  return queueName.endsWith(".fifo") ? `${queueName.slice(0, -".fifo".length)}-dlq.fifo` : `${queueName}-dlq`;
}

async function findQueueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    const errorName = (error as Error).name;
    if (errorName.includes("NonExistentQueue") || errorName.includes("QueueDoesNotExist")) return undefined;
    throw error;
  }
}

async function queueArnOf(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} reports no QueueArn`);
  return arn;
}

/**
 * Creates the queue, or brings an existing one's attributes in line with the registry
 * (a redeploy keeps the queue and its messages). FIFO-ness is fixed at creation, as on AWS.
 */
async function upsertQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const existing = await findQueueUrl(sqs, name);
  if (existing) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: existing, Attributes: attributes }));
    return existing;
  }
  const fifo = name.endsWith(".fifo") ? { FifoQueue: "true" } : {};
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { ...attributes, ...fifo } }),
  );
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return QueueUrl;
}

/**
 * Deploys one routed queue with its DLQ and redrive policy, as the SST stack does on AWS.
 * An imported queue (`arn` set) belongs to someone else: locally it is only created when
 * missing, so the route has something to drain, and its attributes are left alone.
 */
export async function ensureQueue(sqs: SQSClient, queue: QueueConfig): Promise<DeployedQueue> {
  if (queue.arn !== undefined) {
    const url =
      (await findQueueUrl(sqs, queue.name)) ??
      (await upsertQueue(sqs, queue.name, { VisibilityTimeout: String(queue.visibilityTimeoutSec) }));
    return { name: queue.name, url, arn: await queueArnOf(sqs, url) };
  }
  const dlqName = dlqNameOf(queue.name);
  const dlqUrl = await upsertQueue(sqs, dlqName, { MessageRetentionPeriod: String(dlqRetentionSec) });
  const dlqArn = await queueArnOf(sqs, dlqUrl);
  const url = await upsertQueue(sqs, queue.name, {
    VisibilityTimeout: String(queue.visibilityTimeoutSec),
    MessageRetentionPeriod: String(queue.retentionSec),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: queue.maxReceiveCount }),
  });
  return { name: queue.name, url, arn: await queueArnOf(sqs, url), dlqName, dlqUrl };
}
