import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { isRetryable } from "../../errors.js";
import { createSqsQueueClient } from "./queueClient.js";

const sqs = new SQSClient({ region: "us-east-1" });
const mock = mockClient(sqs);
const queue = createSqsQueueClient(sqs);
const url = "https://sqs.us-east-1.amazonaws.com/1/q";

afterEach(() => mock.reset());

// Error paths only: receiving, attribute mapping and deleting run against the local cloud in
// test/integration/platform/queueClient.test.ts.

describe("createSqsQueueClient", () => {
  it("sorts the entries a DeleteMessageBatch failed: SQS's own failures to retry, an invalid receipt handle refused", async () => {
    mock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: "0" }],
      Failed: [
        { Id: "1", Code: "InternalError", SenderFault: false },
        { Id: "2", Code: "ReceiptHandleIsInvalid", SenderFault: true },
      ],
    });
    expect(await queue.deleteBatch(url, ["r0", "r1", "r2"])).toEqual({ retryable: ["r1"], rejected: ["r2"] });
  });

  it("reports a whole throttled chunk for retry and deletes in chunks of 10", async () => {
    mock
      .on(DeleteMessageBatchCommand)
      .rejectsOnce(Object.assign(new Error("slow down"), { name: "ThrottlingException" }))
      .resolves({ Successful: [] });
    const handles = Array.from({ length: 12 }, (_, i) => `r${i}`);
    expect(await queue.deleteBatch(url, handles)).toEqual({ retryable: handles.slice(0, 10), rejected: [] });
    expect(mock.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      10, 2,
    ]);
  });

  it("sends a large pass as concurrent 10-entry calls, a bounded number at once", async () => {
    let inFlight = 0;
    let most = 0;
    mock.on(ChangeMessageVisibilityBatchCommand).callsFake(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return { Successful: [] };
    });
    const handles = Array.from({ length: 1_000 }, (_, i) => `r${i}`);
    expect(await queue.changeVisibility(url, handles, 30)).toEqual({ retryable: [], rejected: [] });
    expect(mock.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(100);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(16);
  });

  it("goes on with the rest of a pass when one call fails, and reports that call's entries and the refused ones", async () => {
    let call = 0;
    mock.on(ChangeMessageVisibilityBatchCommand).callsFake(async (input: { Entries: { Id: string }[] }) => {
      call++;
      if (call === 1) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      return {
        Successful: input.Entries.slice(1).map((e) => ({ Id: e.Id })),
        Failed: [{ Id: input.Entries[0]?.Id, Code: "InvalidParameterValue", SenderFault: true }],
      };
    });
    const handles = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const failures = await queue.changeVisibility(url, handles, 30);
    expect(mock.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(3);
    expect(failures.retryable).toEqual(handles.slice(0, 10));
    expect(failures.rejected.sort()).toEqual(["r10", "r20"]);
  });

  it("throws when every call of a pass failed, so the caller sees the cause", async () => {
    mock
      .on(ChangeMessageVisibilityBatchCommand)
      .rejects(
        Object.assign(new Error("denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }),
      );
    await expect(queue.changeVisibility(url, ["r0"], 30)).rejects.toMatchObject({ name: "AccessDenied" });
  });

  it("translates retryable receive errors", async () => {
    mock
      .on(ReceiveMessageCommand)
      .rejects(Object.assign(new Error("down"), { $metadata: { httpStatusCode: 503 } }));
    const error = await queue.receive(url, { maxMessages: 1, waitTimeSec: 0 }).catch((e: unknown) => e);
    expect(isRetryable(error)).toBe(true);
  });
});
