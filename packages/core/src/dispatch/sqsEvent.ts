import type { QueueMessage } from "../queue/ports.js";

/** A message attribute as Lambda's SQS event source shapes it (camelCase, list fields always present). */
export interface SqsEventMessageAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

/** One record of Lambda's SQS event (`aws-lambda`'s `SQSRecord`). */
export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, SqsEventMessageAttribute>;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: "aws:sqs";
  eventSourceARN: string;
  awsRegion: string;
}

/** The event a handler function receives, exactly as from Lambda's SQS event source. */
export interface SqsEvent {
  Records: SqsEventRecord[];
}

/** Where a queue lives, derived from its URL. */
export interface QueueLocation {
  region: string;
  accountId: string;
  name: string;
  arn: string;
}

/**
 * Derives region, account and ARN from a queue URL. The region comes from the host
 * (`sqs.<region>.amazonaws.com`, `<region>.queue.amazonaws.com`; `queue.amazonaws.com`
 * is us-east-1) and falls back to `defaultRegion` for hosts that do not name one
 * (an emulator on `127.0.0.1:4566`).
 */
export function queueLocationOf(queueUrl: string, defaultRegion: string): QueueLocation {
  const url = new URL(queueUrl);
  const segments = url.pathname.split("/").filter(Boolean);
  const name = segments.at(-1) ?? "";
  const accountId = segments.at(-2) ?? "000000000000";
  const host = url.hostname;
  const region =
    /^sqs[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\./.exec(host)?.[1] ??
    /^([a-z]{2}(?:-[a-z]+)+-\d+)\.queue\./.exec(host)?.[1] ??
    (host === "queue.amazonaws.com" ? "us-east-1" : defaultRegion);
  const partition = host.endsWith(".amazonaws.com.cn")
    ? "aws-cn"
    : region.startsWith("us-gov-")
      ? "aws-us-gov"
      : "aws";
  return { region, accountId, name, arn: `arn:${partition}:sqs:${region}:${accountId}:${name}` };
}

/** A message's attributes as Lambda's SQS event shapes them: camelCase, list fields always present. */
export function sqsEventMessageAttributes(
  attributes: QueueMessage["messageAttributes"],
): Record<string, SqsEventMessageAttribute> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, a]) => [
      name,
      {
        ...(a.stringValue !== undefined ? { stringValue: a.stringValue } : {}),
        ...(a.binaryValue !== undefined ? { binaryValue: a.binaryValue } : {}),
        stringListValues: a.stringListValues ?? [],
        binaryListValues: a.binaryListValues ?? [],
        dataType: a.dataType,
      },
    ]),
  );
}

/**
 * Shapes received messages as the event Lambda's SQS event source would deliver,
 * so that any handler written for it (Powertools BatchProcessor, middy's
 * sqs-partial-batch-failure) works unchanged.
 */
export function toSqsEvent(
  messages: readonly QueueMessage[],
  queueUrl: string,
  defaultRegion: string,
): SqsEvent {
  const { region, arn } = queueLocationOf(queueUrl, defaultRegion);
  return {
    Records: messages.map((m) => {
      const record: SqsEventRecord = {
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: { ...m.attributes },
        messageAttributes: sqsEventMessageAttributes(m.messageAttributes),
        md5OfBody: m.md5OfBody,
        eventSource: "aws:sqs",
        eventSourceARN: arn,
        awsRegion: region,
      };
      if (m.md5OfMessageAttributes !== undefined) record.md5OfMessageAttributes = m.md5OfMessageAttributes;
      return record;
    }),
  };
}
