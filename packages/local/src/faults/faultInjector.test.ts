import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { operationOf } from "../edge/operationOf.js";
import { sessionTokenOf } from "../lambda/lambdaService.js";
import { createFaultInjector, matchingRule } from "./faultInjector.js";
import { type FaultRule, faultRuleSchema } from "./faultRule.js";

/** Just what the injector touches of a request and its response. */
function exchange(headers: Record<string, string> = {}) {
  const req = Object.assign(new EventEmitter(), {
    method: "POST",
    url: "/",
    headers: { "x-amz-target": "DynamoDB_20120810.UpdateItem", ...headers },
    resume: vi.fn(),
  });
  const res = Object.assign(new EventEmitter(), {
    destroyed: false,
    socket: { destroyed: false },
    writeHead: vi.fn(),
    end: vi.fn(),
    destroy: vi.fn(() => {
      res.destroyed = true;
    }),
  });
  return { req, res, args: [req as unknown as IncomingMessage, res as unknown as ServerResponse] as const };
}

const fromPoller = { "x-amz-security-token": sessionTokenOf("poller") };
const throttle = { status: 400, type: "ProvisionedThroughputExceededException" };

describe("operationOf", () => {
  it("reads X-Amz-Target, Lambda's invoke path and RPC v2 CBOR paths", () => {
    expect(operationOf("POST", "/", { "x-amz-target": "DynamoDB_20120810.UpdateItem" })).toBe("UpdateItem");
    expect(operationOf("POST", "/2015-03-31/functions/poller/invocations", {})).toBe("Invoke");
    expect(operationOf("POST", "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", {})).toBe(
      "DescribeAlarms",
    );
    expect(operationOf("POST", "/", {})).toBeUndefined();
  });
});

describe("createFaultInjector", () => {
  it("refuses a rule with a rate outside 0..1, naming the field", () => {
    const faults = createFaultInjector();
    expect(() =>
      faults.set([
        { service: "sqs", operation: "*", rate: 2, error: { status: 500, type: "InternalError" } },
      ]),
    ).toThrow(/rate/);
  });
});

describe("matchingRule", () => {
  const rule = (r: object): FaultRule => faultRuleSchema.parse(r);
  const pollerWrites = rule({
    service: "dynamodb",
    operation: "UpdateItem",
    rate: 1,
    delayMs: 5,
    caller: "poller",
  });
  const anyWrite = rule({ service: "dynamodb", operation: "UpdateItem", rate: 1, error: throttle });

  it("matches a caller-scoped rule only for requests from that function", () => {
    const target = { service: "dynamodb", operation: "UpdateItem" };
    expect(matchingRule([pollerWrites], { ...target, caller: "poller" })).toBe(pollerWrites);
    expect(matchingRule([pollerWrites], { ...target, caller: "restart" })).toBeUndefined();
    expect(matchingRule([pollerWrites], { ...target, caller: undefined })).toBeUndefined();
    expect(
      matchingRule([pollerWrites], { ...target, operation: "GetItem", caller: "poller" }),
    ).toBeUndefined();
  });

  it("matches a rule without a caller for every caller; the first matching rule wins", () => {
    const target = { service: "dynamodb", operation: "UpdateItem" };
    expect(matchingRule([anyWrite], { ...target, caller: undefined })).toBe(anyWrite);
    expect(matchingRule([anyWrite], { ...target, caller: "restart" })).toBe(anyWrite);
    expect(matchingRule([pollerWrites, anyWrite], { ...target, caller: "poller" })).toBe(pollerWrites);
    expect(matchingRule([pollerWrites, anyWrite], { ...target, caller: "restart" })).toBe(anyWrite);
  });
});

describe("createFaultInjector holds", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("passes a delayed request on to the service after delayMs, its body unread", async () => {
    const faults = createFaultInjector();
    faults.set([{ service: "dynamodb", operation: "UpdateItem", rate: 1, delayMs: 1_000 }]);
    const { req, res, args } = exchange();
    let passed: boolean | undefined;
    void faults.intercept("dynamodb", ...args).then((handled) => {
      passed = !handled;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(passed).toBeUndefined();
    expect(faults.holding()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(passed).toBe(true);
    expect(req.resume).not.toHaveBeenCalled();
    expect(res.writeHead).not.toHaveBeenCalled();
    expect(faults.holding()).toBe(0);
    expect(faults.counts()["dynamodb:UpdateItem"]).toEqual({ seen: 1, injected: 1, delayed: 1 });
  });

  it("answers with the rule's error after the delay when it has one", async () => {
    const faults = createFaultInjector();
    faults.set([{ service: "dynamodb", operation: "UpdateItem", rate: 1, delayMs: 500, error: throttle }]);
    const { req, res, args } = exchange();
    const handled = faults.intercept("dynamodb", ...args);
    await vi.advanceTimersByTimeAsync(500);
    expect(await handled).toBe(true);
    expect(res.writeHead).toHaveBeenCalledWith(
      400,
      expect.objectContaining({ "x-amzn-ErrorType": throttle.type }),
    );
    expect(req.resume).toHaveBeenCalled();
  });

  it("holds only the named caller's requests", async () => {
    const faults = createFaultInjector();
    faults.set([
      { service: "dynamodb", operation: "UpdateItem", rate: 1, delayMs: 60_000, caller: "poller" },
    ]);
    const restart = exchange({ "x-amz-security-token": sessionTokenOf("restart") });
    expect(await faults.intercept("dynamodb", ...restart.args)).toBe(false);
    expect(await faults.intercept("dynamodb", ...exchange().args)).toBe(false);
    void faults.intercept("dynamodb", ...exchange(fromPoller).args);
    expect(faults.holding()).toBe(1);
    faults.close();
  });

  it("drops a held request whose caller went away instead of passing it on late", async () => {
    const faults = createFaultInjector();
    faults.set([{ service: "dynamodb", operation: "*", rate: 1, delayMs: 60_000 }]);
    const { res, args } = exchange();
    const handled = faults.intercept("dynamodb", ...args);
    res.emit("close");
    expect(await handled).toBe(true);
    expect(faults.holding()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("cancels every hold on close, without waiting for the delay, and holds nothing afterwards", async () => {
    const faults = createFaultInjector();
    faults.set([{ service: "dynamodb", operation: "*", rate: 1, delayMs: 60_000 }]);
    const first = exchange();
    const second = exchange();
    const held = [faults.intercept("dynamodb", ...first.args), faults.intercept("dynamodb", ...second.args)];
    faults.close();
    expect(await Promise.all(held)).toEqual([true, true]);
    expect(first.res.destroy).toHaveBeenCalled();
    expect(second.res.destroy).toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    const late = exchange();
    expect(await faults.intercept("dynamodb", ...late.args)).toBe(true);
    expect(late.res.destroy).toHaveBeenCalled();
  });
});
