import type { InvokeResult } from "./ports.js";

/** How a handler's response was read. */
export const BatchVerdict = {
  /** No failure reported: every record succeeded. */
  AllSucceeded: "all-succeeded",
  /** `batchItemFailures` named some records. */
  Partial: "partial",
  /** The invocation failed (`FunctionError`): every record failed. */
  FunctionError: "function-error",
  /** The response was not JSON, or `batchItemFailures` was malformed: Lambda fails the whole batch, and so do we. */
  Malformed: "malformed",
} as const;
export type BatchVerdict = (typeof BatchVerdict)[keyof typeof BatchVerdict];

export interface BatchResult {
  verdict: BatchVerdict;
  /** messageIds of the records that failed (return to the queue by visibility timeout). */
  failed: Set<string>;
}

/**
 * Reads a handler's response the way Lambda's SQS event source does with
 * `ReportBatchItemFailures` (developer guide, "Implementing partial batch responses"):
 * a response that is not valid JSON, or is JSON but not an object (a string, number, boolean or
 * array), fails the batch; a missing, null or empty `batchItemFailures` (or no response at all,
 * or null) is complete success; a list naming known messageIds fails
 * those; a list that is not a list, or has an entry whose `itemIdentifier` is
 * missing, empty, not a string or not a messageId of the batch, fails the batch.
 */
export function readBatchResult(messageIds: readonly string[], result: InvokeResult): BatchResult {
  const all = () => new Set(messageIds);
  if (result.functionError !== undefined) return { verdict: BatchVerdict.FunctionError, failed: all() };
  if (result.invalidJson) return { verdict: BatchVerdict.Malformed, failed: all() };
  const payload = result.payload;
  if (payload === null || payload === undefined)
    return { verdict: BatchVerdict.AllSucceeded, failed: new Set() };
  // A string, number, boolean or array is valid JSON but no partial batch response: Lambda cannot
  // read one into its response type, and the safe reading retries the batch rather than delete it.
  if (typeof payload !== "object" || Array.isArray(payload))
    return { verdict: BatchVerdict.Malformed, failed: all() };
  if (!("batchItemFailures" in payload)) return { verdict: BatchVerdict.AllSucceeded, failed: new Set() };
  const failures = (payload as { batchItemFailures: unknown }).batchItemFailures;
  if (failures === null || failures === undefined)
    return { verdict: BatchVerdict.AllSucceeded, failed: new Set() };
  if (!Array.isArray(failures)) return { verdict: BatchVerdict.Malformed, failed: all() };
  const known = new Set(messageIds);
  const failed = new Set<string>();
  for (const entry of failures) {
    const id =
      entry !== null && typeof entry === "object"
        ? (entry as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== "string" || id === "" || !known.has(id))
      return { verdict: BatchVerdict.Malformed, failed: all() };
    failed.add(id);
  }
  return failed.size === 0
    ? { verdict: BatchVerdict.AllSucceeded, failed }
    : { verdict: BatchVerdict.Partial, failed };
}
