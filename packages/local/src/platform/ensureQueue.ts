import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { DispatcherError, isImportedQueue, type QueueConfig } from "@sqs-dispatcher/config";

/** A routed queue as deployed: its URL and that of its dead-letter queue (none for an imported queue). */
export interface DeployedQueue {
  name: string;
  url: string;
  arn: string;
  dlqName?: string;
  dlqUrl?: string;
  /** An imported queue that did not exist and was created locally as a stand-in (see {@link ensureQueue}). */
  standIn?: boolean;
}

/** What {@link ensureQueue} does when an imported queue does not exist. */
export const MissingImportedQueue = {
  /** Create a plain stand-in queue (the default: the local cloud keeps no SQS state between runs). */
  Create: "create",
  /** Refuse with {@link ImportedQueueNotFoundError}, as a deploy against a long-lived cloud should. */
  Fail: "fail",
} as const;
export type MissingImportedQueue = (typeof MissingImportedQueue)[keyof typeof MissingImportedQueue];

/** Options of {@link ensureQueue}. */
export interface EnsureQueueOptions {
  /** Default {@link MissingImportedQueue.Create}. */
  missingImported?: MissingImportedQueue;
}

/** The registry imports a queue (by name or ARN) that the local cloud does not have. */
export class ImportedQueueNotFoundError extends DispatcherError {
  override readonly name = "ImportedQueueNotFoundError";
  constructor(
    readonly queueName: string,
    readonly queueArn: string | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `queue '${queueName}' is imported (${queueArn !== undefined ? `arn ${queueArn}` : "import: true"}) but does not exist on the local cloud; ` +
        `create it first (aws --endpoint-url <endpoint> sqs create-queue --queue-name ${queueName}) or drop the import so the deploy creates it`,
      { queueName, ...(queueArn !== undefined ? { queueArn } : {}) },
      options,
    );
  }
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
 *
 * An imported queue (`arn` or `import: true`) belongs to someone else: an existing one is used as it
 * is (attributes untouched). A missing one is, by default, created as a plain stand-in (no DLQ, a
 * created queue's default visibility timeout) so the route has something to drain: the local cloud
 * keeps no SQS state, so no queue could exist before `pnpm dev` deploys. The AWS stack never creates an
 * imported queue. Pass `missingImported: "fail"` to get {@link ImportedQueueNotFoundError} instead.
 * Locally an ARN's account and region are ignored: the queue is found by name.
 */
export async function ensureQueue(
  sqs: SQSClient,
  queue: QueueConfig,
  options: EnsureQueueOptions = {},
): Promise<DeployedQueue> {
  if (isImportedQueue(queue)) {
    const existing = await findQueueUrl(sqs, queue.name);
    if (existing) return { name: queue.name, url: existing, arn: await queueArnOf(sqs, existing) };
    if ((options.missingImported ?? MissingImportedQueue.Create) === MissingImportedQueue.Fail) {
      throw new ImportedQueueNotFoundError(queue.name, queue.arn);
    }
    const url = await upsertQueue(sqs, queue.name, { VisibilityTimeout: String(queue.visibilityTimeoutSec) });
    return { name: queue.name, url, arn: await queueArnOf(sqs, url), standIn: true };
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
