import {
  GetQueueUrlCommand,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { isRetryable, TransientError } from "../../errors.js";
import type { MessageForwarder } from "../../filtering/ports.js";
import type { QueueMessage } from "../../queue/ports.js";

/** SendMessageBatch limits: 10 entries, and 1 MiB for the whole request's bodies and attributes. */
const entriesMax = 10;
const batchBytesMax = 1_048_576;

function attributesOf(message: QueueMessage): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(message.messageAttributes).map(([name, a]) => {
      const value: MessageAttributeValue = { DataType: a.dataType };
      if (a.stringValue !== undefined) value.StringValue = a.stringValue;
      if (a.binaryValue !== undefined) value.BinaryValue = Buffer.from(a.binaryValue, "base64");
      if (a.stringListValues?.length) value.StringListValues = a.stringListValues;
      if (a.binaryListValues?.length) {
        value.BinaryListValues = a.binaryListValues.map((b) => Buffer.from(b, "base64"));
      }
      return [name, value];
    }),
  );
}

/** Bytes SQS counts for a message: the body plus each attribute's name, type and value. */
function sizeOf(message: QueueMessage): number {
  let bytes = Buffer.byteLength(message.body);
  for (const [name, a] of Object.entries(message.messageAttributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(a.dataType);
    bytes += Buffer.byteLength(a.stringValue ?? "") + Math.ceil(((a.binaryValue ?? "").length * 3) / 4);
  }
  return bytes;
}

/** Splits into SendMessageBatch requests within both the entry and the size limit, in order. */
function batches(messages: readonly QueueMessage[]): QueueMessage[][] {
  const out: QueueMessage[][] = [];
  let current: QueueMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = sizeOf(m);
    if (current.length > 0 && (current.length === entriesMax || bytes + size > batchBytesMax)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function entryOf(message: QueueMessage, index: number, fifoTarget: boolean): SendMessageBatchRequestEntry {
  const entry: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: message.body };
  const attributes = attributesOf(message);
  if (Object.keys(attributes).length > 0) entry.MessageAttributes = attributes;
  const trace = message.attributes["AWSTraceHeader"];
  if (trace !== undefined) {
    entry.MessageSystemAttributes = { AWSTraceHeader: { DataType: "String", StringValue: trace } };
  }
  if (fifoTarget) {
    // The schema allows a FIFO target only from a FIFO source, whose messages carry both ids.
    entry.MessageGroupId = message.attributes["MessageGroupId"] ?? message.messageId;
    entry.MessageDeduplicationId = message.attributes["MessageDeduplicationId"] ?? message.messageId;
  }
  return entry;
}

/**
 * The {@link MessageForwarder} port over SQS `GetQueueUrl` (cached per queue name) and
 * `SendMessageBatch`. Entries SQS refuses come back as failed; a retryable error of a whole
 * request fails that request's messages (the caller retries them); any other error is thrown.
 */
export function createSqsMessageForwarder(sqs: SQSClient): MessageForwarder {
  const urls = new Map<string, string>();
  const urlOf = async (queueName: string): Promise<string> => {
    const known = urls.get(queueName);
    if (known !== undefined) return known;
    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;
    if (url === undefined) throw new Error(`GetQueueUrl returned no URL for queue '${queueName}'`);
    urls.set(queueName, url);
    return url;
  };

  return {
    async forward(queueName, messages) {
      let queueUrl: string;
      try {
        queueUrl = await urlOf(queueName);
      } catch (error) {
        if (isRetryable(error)) {
          throw new TransientError(
            `GetQueueUrl ${queueName}: ${String(error)}`,
            { queueName },
            { cause: error },
          );
        }
        throw error;
      }
      const fifoTarget = queueName.endsWith(".fifo");
      const failed: string[] = [];
      for (const batch of batches(messages)) {
        if (fifoTarget && failed.length > 0) {
          // A FIFO group must not arrive out of order: nothing after a failure is sent this time.
          failed.push(...batch.map((m) => m.messageId));
          continue;
        }
        try {
          const out = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map((m, i) => entryOf(m, i, fifoTarget)),
            }),
          );
          for (const f of out.Failed ?? []) {
            const message = batch[Number(f.Id)];
            if (message !== undefined) failed.push(message.messageId);
          }
        } catch (error) {
          if (!isRetryable(error)) throw error;
          failed.push(...batch.map((m) => m.messageId));
        }
      }
      return failed;
    },
  };
}
