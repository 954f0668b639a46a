import { describe, expect, it } from "vitest";
import { BatchVerdict, readBatchResult } from "./batchResult.js";
import { holdBackAfterGroupFailure } from "./fifoOrder.js";

const ids = ["a", "b", "c"];

describe("readBatchResult", () => {
  it.each([
    ["no payload", {}],
    ["a null payload", { payload: null }],
    ["an empty object", { payload: {} }],
    ["an empty batchItemFailures", { payload: { batchItemFailures: [] } }],
    ["a null batchItemFailures", { payload: { batchItemFailures: null } }],
  ])("treats %s as complete success", (_name, result) => {
    expect(readBatchResult(ids, result)).toEqual({ verdict: BatchVerdict.AllSucceeded, failed: new Set() });
  });

  it.each([
    ["a JSON string", "ok"],
    ["an empty JSON string", ""],
    ["a number", 42],
    ["a boolean", true],
    ["an array", [{ itemIdentifier: "a" }]],
  ])("fails the whole batch on %s: not a partial batch response, which Lambda cannot read either", (_name, payload) => {
    expect(readBatchResult(ids, { payload })).toEqual({
      verdict: BatchVerdict.Malformed,
      failed: new Set(ids),
    });
  });

  it("fails the named records", () => {
    const r = readBatchResult(ids, { payload: { batchItemFailures: [{ itemIdentifier: "b" }] } });
    expect(r).toEqual({ verdict: BatchVerdict.Partial, failed: new Set(["b"]) });
  });

  it("fails the whole batch on a response that is not valid JSON", () => {
    const r = readBatchResult(ids, { payload: "{not json", invalidJson: true });
    expect(r).toEqual({ verdict: BatchVerdict.Malformed, failed: new Set(ids) });
  });

  it("fails the whole batch when batchItemFailures is not a list", () => {
    const r = readBatchResult(ids, { payload: { batchItemFailures: { itemIdentifier: "a" } } });
    expect(r).toEqual({ verdict: BatchVerdict.Malformed, failed: new Set(ids) });
  });

  it("fails everything on FunctionError, whatever the payload says", () => {
    const r = readBatchResult(ids, { functionError: "Unhandled", payload: { batchItemFailures: [] } });
    expect(r).toEqual({ verdict: BatchVerdict.FunctionError, failed: new Set(ids) });
  });

  it.each([
    ["an unknown id", [{ itemIdentifier: "z" }]],
    ["an empty id", [{ itemIdentifier: "" }]],
    ["a null id", [{ itemIdentifier: null }]],
    ["a wrong key", [{ itemId: "a" }]],
    ["a null entry", [null]],
    ["a missing id", [{}]],
    ["a numeric id", [{ itemIdentifier: 7 }]],
  ])("fails the whole batch on %s", (_name, batchItemFailures) => {
    const r = readBatchResult(ids, { payload: { batchItemFailures } });
    expect(r).toEqual({ verdict: BatchVerdict.Malformed, failed: new Set(ids) });
  });
});

describe("holdBackAfterGroupFailure", () => {
  const m = (messageId: string, group: string) => ({
    messageId,
    receiptHandle: messageId,
    body: "",
    md5OfBody: "",
    attributes: { MessageGroupId: group },
    messageAttributes: {},
  });

  it("fails later records of a group after its first failure, leaving other groups alone", () => {
    const batch = [m("a1", "A"), m("b1", "B"), m("a2", "A"), m("b2", "B"), m("a3", "A")];
    expect(holdBackAfterGroupFailure(batch, new Set(["a2"]))).toEqual(new Set(["a2", "a3"]));
  });

  it("does not hold back records before the failure", () => {
    const batch = [m("a1", "A"), m("a2", "A")];
    expect(holdBackAfterGroupFailure(batch, new Set(["a2"]))).toEqual(new Set(["a2"]));
  });
});
