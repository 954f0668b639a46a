import { describe, expect, it } from "vitest";
import { silentLogger } from "../logger.js";
import type { QueueMessage } from "../queue/ports.js";
import { deleteAttempts, deleteSucceeded } from "./deleteSucceeded.js";

const message = (id: string): QueueMessage => ({
  messageId: id,
  receiptHandle: `rh-${id}`,
  body: "",
  md5OfBody: "",
  attributes: {},
  messageAttributes: {},
});
const clock = { sleep: async () => {} };
const retry = { baseMs: 1, maxMs: 1, random: () => 0 };

describe("deleteSucceeded", () => {
  it("retries only the entries still pending, through whole-call errors, and counts what stays undeleted", async () => {
    const calls: string[][] = [];
    const queue = {
      async deleteBatch(_url: string, handles: readonly string[]) {
        calls.push([...handles]);
        if (calls.length === 2) throw new Error("socket hang up");
        // rh-b never deletes.
        return { retryable: handles.filter((h) => h === "rh-b"), rejected: [] };
      },
    };
    const undeleted = await deleteSucceeded({ queue, clock, retry, logger: silentLogger }, "q", [
      message("a"),
      message("b"),
    ]);
    expect(undeleted).toBe(1);
    expect(calls).toHaveLength(deleteAttempts);
    expect(calls.slice(1)).toEqual(Array.from({ length: deleteAttempts - 1 }, () => ["rh-b"]));
  });

  it("does not retry an entry SQS refused (expired receipt handle), and counts it undeleted", async () => {
    const calls: string[][] = [];
    const warnings: string[] = [];
    const queue = {
      async deleteBatch(_url: string, handles: readonly string[]) {
        calls.push([...handles]);
        return { retryable: [], rejected: handles.filter((h) => h === "rh-b") };
      },
    };
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const undeleted = await deleteSucceeded({ queue, clock, retry, logger }, "q", [
      message("a"),
      message("b"),
    ]);
    expect(undeleted).toBe(1);
    expect(calls).toEqual([["rh-a", "rh-b"]]);
    expect(warnings.some((w) => w.includes("receipt handle"))).toBe(true);
  });
});
