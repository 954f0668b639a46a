import { describe, expect, it } from "vitest";
import { fitPayload } from "./fitPayload.js";
import { type SqsEventRecord, toSqsEvent } from "./sqsEvent.js";

const queueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";

function records(count: number, bodyBytes: number): SqsEventRecord[] {
  const messages = Array.from({ length: count }, (_, i) => ({
    messageId: `m${i}`,
    receiptHandle: `rh${i}`,
    body: "x".repeat(bodyBytes),
    md5OfBody: "md5",
    attributes: {},
    messageAttributes: {},
  }));
  return toSqsEvent(messages, queueUrl, "us-east-1").Records;
}

describe("fitPayload", () => {
  it("keeps a batch that fits in one chunk whose JSON is exactly the event Lambda would get", () => {
    const all = records(3, 100);
    const [chunk, ...rest] = fitPayload(all, 6_291_456);
    expect(rest).toEqual([]);
    expect(JSON.parse(chunk?.json ?? "")).toEqual({ Records: all });
    expect(chunk?.bytes).toBe(Buffer.byteLength(chunk?.json ?? ""));
  });

  it("splits ten 900 KB messages into chunks under 6 MB each, in order", () => {
    const all = records(10, 900_000);
    const chunks = fitPayload(all, 6_291_456);
    expect(chunks.length).toBe(2);
    for (const c of chunks) {
      expect(Buffer.byteLength(c.json)).toBeLessThanOrEqual(6_291_456);
      expect(c.bytes).toBe(Buffer.byteLength(c.json));
    }
    expect(chunks.flatMap((c) => c.records.map((r) => r.messageId))).toEqual(all.map((r) => r.messageId));
  });

  it("puts a record larger than the limit in a chunk of its own", () => {
    const chunks = fitPayload(records(3, 2_000), 1_500);
    expect(chunks.map((c) => c.records.length)).toEqual([1, 1, 1]);
  });

  it("returns no chunk for no record", () => {
    expect(fitPayload([], 100)).toEqual([]);
  });
});
