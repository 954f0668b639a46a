import {
  type BatchResultErrorEntry,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { isRetryable, TransientError } from "../../errors.js";
import type { EntryFailures, QueueClient, QueueMessage } from "../../queue/ports.js";

/** SQS's batch limit for DeleteMessageBatch / ChangeMessageVisibilityBatch. */
const batchMax = 10;

/**
 * How many 10-entry batch calls a pass keeps in flight: a 10,000-message batch is 1,000 calls, which
 * one after another (~15 ms each) take longer than a 30 s visibility timeout allows.
 */
const batchCallConcurrency = 16;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs one batch operation over any number of receipt handles as concurrent 10-entry calls (a
 * bounded number at once) and sorts what did not take effect: entries SQS failed on its side and
 * every entry of a call that failed as a whole are retryable; entries SQS refused as the sender's
 * fault (an invalid or expired receipt handle) are rejected. One failed call never stops the rest
 * of the pass; only when every call failed does the first error propagate, so its cause is seen.
 */
async function inConcurrentCalls(
  queueUrl: string,
  receiptHandles: readonly string[],
  call: (entries: { id: string; handle: string }[]) => Promise<BatchResultErrorEntry[]>,
): Promise<EntryFailures> {
  const failures: EntryFailures = { retryable: [], rejected: [] };
  const parts = chunks(receiptHandles, batchMax);
  let next = 0;
  let failedCalls = 0;
  let firstError: unknown;
  async function worker(): Promise<void> {
    while (next < parts.length) {
      const part = parts[next++] as string[];
      try {
        const failed = await call(part.map((handle, i) => ({ id: String(i), handle })));
        for (const f of failed) {
          const handle = part[Number(f.Id)];
          if (handle === undefined) continue;
          (f.SenderFault ? failures.rejected : failures.retryable).push(handle);
        }
      } catch (error) {
        failedCalls++;
        firstError ??= error;
        failures.retryable.push(...part);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(batchCallConcurrency, parts.length) }, worker));
  if (parts.length > 0 && failedCalls === parts.length) throw translate(firstError, queueUrl);
  // Keep the caller's order, whatever order the calls finished in.
  const order = new Map(receiptHandles.map((h, i) => [h, i]));
  const byOrder = (a: string, b: string) => (order.get(a) ?? 0) - (order.get(b) ?? 0);
  failures.retryable.sort(byOrder);
  failures.rejected.sort(byOrder);
  return failures;
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
            ...(options.attemptId !== undefined ? { ReceiveRequestAttemptId: options.attemptId } : {}),
          }),
        );
        return (out.Messages ?? []).map(toQueueMessage);
      } catch (error) {
        throw translate(error, queueUrl);
      }
    },

    deleteBatch: (queueUrl, receiptHandles) =>
      inConcurrentCalls(queueUrl, receiptHandles, async (entries) => {
        const out = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries.map(({ id, handle }) => ({ Id: id, ReceiptHandle: handle })),
          }),
        );
        return out.Failed ?? [];
      }),

    changeVisibility: (queueUrl, receiptHandles, visibilityTimeoutSec) =>
      inConcurrentCalls(queueUrl, receiptHandles, async (entries) => {
        const out = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries.map(({ id, handle }) => ({
              Id: id,
              ReceiptHandle: handle,
              VisibilityTimeout: visibilityTimeoutSec,
            })),
          }),
        );
        return out.Failed ?? [];
      }),

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
