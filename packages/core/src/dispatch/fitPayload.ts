import type { SqsEventRecord } from "./sqsEvent.js";

/** One synchronous invoke's worth of records, with the event already serialized. */
export interface PayloadChunk {
  records: SqsEventRecord[];
  /** `{"Records":[…]}` of exactly these records. */
  json: string;
  bytes: number;
}

const envelopeBytes = Buffer.byteLength('{"Records":[]}');

/**
 * Splits a batch into consecutive chunks whose serialized event stays within `limitBytes`
 * (Lambda's 6 MB synchronous payload limit), measured on the JSON actually sent. Order is kept,
 * so FIFO records of a group stay in sequence across chunks. A record larger than the limit on
 * its own gets a chunk of its own (SQS's 1 MiB message limit keeps that from happening).
 *
 * @example
 * for (const chunk of fitPayload(toSqsEvent(messages, queueUrl, region).Records, 6_291_456)) {
 *   await invoker.invoke(functionName, chunk.json);
 * }
 */
export function fitPayload(records: readonly SqsEventRecord[], limitBytes: number): PayloadChunk[] {
  const chunks: PayloadChunk[] = [];
  let current: { records: SqsEventRecord[]; parts: string[]; bytes: number } | undefined;
  const close = () => {
    if (!current) return;
    chunks.push({
      records: current.records,
      json: `{"Records":[${current.parts.join(",")}]}`,
      bytes: current.bytes,
    });
    current = undefined;
  };
  for (const record of records) {
    const part = JSON.stringify(record);
    const partBytes = Buffer.byteLength(part);
    if (current && current.bytes + 1 + partBytes > limitBytes) close();
    if (!current) current = { records: [], parts: [], bytes: envelopeBytes - 1 };
    current.records.push(record);
    current.parts.push(part);
    current.bytes += partBytes + 1;
  }
  close();
  return chunks;
}
