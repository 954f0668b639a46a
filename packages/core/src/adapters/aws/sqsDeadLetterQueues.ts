import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import {
  DeadLetterQueueNotFoundError,
  type DeadLetterQueues,
  type MoveTask,
  type PeekedMessage,
} from "../../deadLetters/ports.js";
import { isMissingQueue } from "./missingQueue.js";
import { readQueueDepth } from "./queueDepth.js";

/** `arn:aws:sqs:<region>:<account>:<name>` → name. */
function nameOfArn(arn: string): string {
  return arn.split(":").at(-1) ?? arn;
}

/** How long a peeked message stays hidden while a peek collects more; it is released right after. */
const peekHoldSec = 30;

/**
 * The {@link DeadLetterQueues} port over SQS: `GetQueueAttributes` (RedrivePolicy, QueueArn),
 * `ListDeadLetterSourceQueues`, `ReceiveMessage` + `ChangeMessageVisibilityBatch(0)` for peeking,
 * `StartMessageMoveTask`/`ListMessageMoveTasks`/`CancelMessageMoveTask` for redrive and `PurgeQueue`.
 */
export function createSqsDeadLetterQueues(options: { sqs: SQSClient }): DeadLetterQueues {
  const { sqs } = options;

  const queueUrl = async (name: string): Promise<string | undefined> => {
    try {
      return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    } catch (error) {
      if (isMissingQueue(error)) return undefined;
      throw error;
    }
  };
  const attributesOf = async (url: string) =>
    (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn", "RedrivePolicy"] }),
      )
    ).Attributes ?? {};

  return {
    async resolve(queueName) {
      const url = await queueUrl(queueName);
      if (!url) throw new DeadLetterQueueNotFoundError(queueName);
      const attributes = await attributesOf(url);
      const arn = attributes["QueueArn"] ?? "";
      let target: string | undefined;
      try {
        target = (JSON.parse(attributes["RedrivePolicy"] ?? "{}") as { deadLetterTargetArn?: string })
          .deadLetterTargetArn;
      } catch {
        target = undefined;
      }
      if (target) {
        const dlqName = nameOfArn(target);
        const dlqUrl = await queueUrl(dlqName);
        if (!dlqUrl) throw new DeadLetterQueueNotFoundError(queueName);
        return { name: dlqName, url: dlqUrl, arn: target, source: { name: queueName, url, arn } };
      }
      const sources = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: url, MaxResults: 1 }));
      if ((sources.queueUrls ?? []).length === 0) throw new DeadLetterQueueNotFoundError(queueName);
      return { name: queueName, url, arn };
    },

    async peek(dlq, count) {
      const seen: Message[] = [];
      try {
        while (seen.length < count) {
          const out = await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: dlq.url,
              MaxNumberOfMessages: Math.min(10, count - seen.length),
              VisibilityTimeout: peekHoldSec,
              WaitTimeSeconds: 0,
              MessageAttributeNames: ["All"],
              MessageSystemAttributeNames: ["All"],
            }),
          );
          const messages = out.Messages ?? [];
          if (messages.length === 0) break;
          seen.push(...messages);
        }
      } finally {
        // Visible again at once: a peek must not hold back a redrive or another operator.
        for (let i = 0; i < seen.length; i += 10) {
          await sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: dlq.url,
              Entries: seen.slice(i, i + 10).map((m, j) => ({
                Id: String(j),
                ReceiptHandle: m.ReceiptHandle ?? "",
                VisibilityTimeout: 0,
              })),
            }),
          );
        }
      }
      return seen.map(
        (m): PeekedMessage => ({
          messageId: m.MessageId ?? "",
          body: m.Body ?? "",
          receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
          sentAt: m.Attributes?.SentTimestamp ? Number(m.Attributes.SentTimestamp) : null,
          attributes: { ...(m.Attributes ?? {}) },
          messageAttributes: Object.fromEntries(
            Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
              k,
              {
                ...(v.DataType !== undefined ? { DataType: v.DataType } : {}),
                ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
              },
            ]),
          ),
        }),
      );
    },

    async startRedrive(dlq, { destinationArn, maxPerSecond }) {
      const out = await sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: dlq.arn,
          ...(destinationArn !== undefined ? { DestinationArn: destinationArn } : {}),
          ...(maxPerSecond !== undefined ? { MaxNumberOfMessagesPerSecond: maxPerSecond } : {}),
        }),
      );
      return out.TaskHandle ?? "";
    },

    async tasks(dlq, max = 10) {
      const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: max }));
      return (out.Results ?? []).map(
        (r): MoveTask => ({
          ...(r.TaskHandle ? { taskHandle: r.TaskHandle } : {}),
          status: (r.Status ?? "FAILED") as MoveTask["status"],
          sourceArn: r.SourceArn ?? dlq.arn,
          ...(r.DestinationArn ? { destinationArn: r.DestinationArn } : {}),
          ...(r.MaxNumberOfMessagesPerSecond !== undefined
            ? { maxPerSecond: r.MaxNumberOfMessagesPerSecond }
            : {}),
          moved: r.ApproximateNumberOfMessagesMoved ?? 0,
          ...(r.ApproximateNumberOfMessagesToMove !== undefined
            ? { toMove: r.ApproximateNumberOfMessagesToMove }
            : {}),
          ...(r.FailureReason ? { failureReason: r.FailureReason } : {}),
          startedAt: r.StartedTimestamp ?? 0,
        }),
      );
    },

    async cancel(taskHandle) {
      const out = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: taskHandle }));
      return out.ApproximateNumberOfMessagesMoved ?? 0;
    },

    async purge(dlq) {
      await sqs.send(new PurgeQueueCommand({ QueueUrl: dlq.url }));
    },

    async depth(dlq) {
      const { visible, inFlight } = await readQueueDepth(sqs, dlq.url);
      return { visible, inFlight };
    },
  };
}
