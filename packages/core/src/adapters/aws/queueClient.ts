import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { isRetryable, TransientError } from "../../errors.js";
import type { QueueClient, QueueMessage } from "../../queue/ports.js";

/** SQS's batch limit for DeleteMessageBatch / ChangeMessageVisibilityBatch. */
const batchMax = 10;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function translate(error: unknown, queueUrl: string): unknown {
  if (isRetryable(error) && !(error instanceof TransientError)) {
    const e = error as Error;
    return new TransientError(`sqs: ${e.name}: ${e.message}`, { queueUrl }, { cause: error });
  }
  return error;
}

function base64(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString("base64");
}

function toQueueMessage(m: Message): QueueMessage {
  const message: QueueMessage = {
    messageId: m.MessageId ?? "",
    receiptHandle: m.ReceiptHandle ?? "",
    body: m.Body ?? "",
    md5OfBody: m.MD5OfBody ?? "",
    attributes: { ...(m.Attributes as Record<string, string> | undefined) },
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([name, a]) => {
        const attribute: QueueMessage["messageAttributes"][string] = { dataType: a.DataType ?? "String" };
        if (a.StringValue !== undefined) attribute.stringValue = a.StringValue;
        const binary = base64(a.BinaryValue);
        if (binary !== undefined) attribute.binaryValue = binary;
        if (a.StringListValues?.length) attribute.stringListValues = a.StringListValues;
        if (a.BinaryListValues?.length) {
          attribute.binaryListValues = a.BinaryListValues.map((b) => base64(b) ?? "");
        }
        return [name, attribute];
      }),
    ),
  };
  if (m.MD5OfMessageAttributes !== undefined) message.md5OfMessageAttributes = m.MD5OfMessageAttributes;
  return message;
}

/** The SQS operations of a loop through the SDK v3 client. */
export function createSqsQueueClient(sqs: SQSClient): QueueClient {
  return {
    async receive(queueUrl, options) {
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.max(1, Math.min(batchMax, options.maxMessages)),
            WaitTimeSeconds: options.waitTimeSec,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
            ...(options.visibilityTimeoutSec !== undefined
              ? { VisibilityTimeout: options.visibilityTimeoutSec }
              : {}),
          }),
        );
        return (out.Messages ?? []).map(toQueueMessage);
      } catch (error) {
        throw translate(error, queueUrl);
      }
    },

    async deleteBatch(queueUrl, receiptHandles) {
      const failed: string[] = [];
      for (const chunk of chunks(receiptHandles, batchMax)) {
        try {
          const out = await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle })),
            }),
          );
          for (const f of out.Failed ?? []) {
            const handle = chunk[Number(f.Id)];
            if (handle !== undefined) failed.push(handle);
          }
        } catch (error) {
          // The whole chunk failed; report it for retry rather than losing the other chunks' results.
          if (!isRetryable(error)) throw translate(error, queueUrl);
          failed.push(...chunk);
        }
      }
      return failed;
    },

    async changeVisibility(queueUrl, receiptHandles, visibilityTimeoutSec) {
      for (const chunk of chunks(receiptHandles, batchMax)) {
        try {
          await sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((handle, i) => ({
                Id: String(i),
                ReceiptHandle: handle,
                VisibilityTimeout: visibilityTimeoutSec,
              })),
            }),
          );
        } catch (error) {
          throw translate(error, queueUrl);
        }
      }
    },

    async visibilityTimeoutSec(queueUrl) {
      try {
        const out = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout"] }),
        );
        const value = Number(out.Attributes?.["VisibilityTimeout"]);
        return Number.isFinite(value) ? value : 30;
      } catch (error) {
        throw translate(error, queueUrl);
      }
    },
  };
}
