import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseWith } from "@sqs-dispatcher/config";
import { operationOf } from "../edge/operationOf.js";
import { type FaultRule, type FaultRuleInput, faultRuleSchema } from "./faultRule.js";

/** Counts of what the injector did, per `service:operation`. */
export type FaultCounts = Record<string, { seen: number; injected: number }>;

/** Decides, per request, whether the edge answers with an injected AWS error instead of the service. */
export interface FaultInjector {
  /** Replaces the rules (an empty list turns injection off). */
  set(rules: readonly FaultRuleInput[]): void;
  rules(): readonly FaultRule[];
  /** Answers `res` with the injected error and returns true, or returns false to let the request through. */
  intercept(service: string, req: IncomingMessage, res: ServerResponse): boolean;
  counts(): FaultCounts;
}

/**
 * @param random injected so tests decide which requests fail.
 */
export function createFaultInjector(random: () => number = Math.random): FaultInjector {
  let active: FaultRule[] = [];
  const counts: FaultCounts = {};

  return {
    set(rules) {
      active = rules.map((rule, i) => parseWith(faultRuleSchema, rule, `Fault rule ${i}`));
    },
    rules: () => active,
    counts: () => structuredClone(counts),
    intercept(service, req, res) {
      if (active.length === 0) return false;
      const operation = operationOf(req.method, req.url, req.headers);
      const rule = active.find(
        (r) => r.service === service && (r.operation === "*" || r.operation === operation),
      );
      if (!rule) return false;
      const key = `${service}:${operation ?? "?"}`;
      const count = counts[key] ?? { seen: 0, injected: 0 };
      counts[key] = count;
      count.seen++;
      if (random() >= rule.rate) return false;
      count.injected++;
      // The service never sees the request: drain it so the keep-alive connection stays usable.
      req.resume();
      sendInjectedError(res, service, rule);
      return true;
    },
  };
}

function sendInjectedError(res: ServerResponse, service: string, rule: FaultRule): void {
  const { status, type, message } = rule.error;
  // Lambda's REST-JSON errors carry `Type`; the JSON protocols carry `__type`. Both SDKs read x-amzn-ErrorType.
  const body = JSON.stringify(service === "lambda" ? { Type: "User", message } : { __type: type, message });
  const headers: Record<string, string | number> = {
    "content-type": service === "lambda" ? "application/json" : "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(body),
    "x-amzn-RequestId": randomUUID(),
    "x-amzn-ErrorType": type,
  };
  // SQS's JSON protocol also names the query-compatible error code.
  if (service === "sqs") headers["x-amzn-query-error"] = `${type};${status >= 500 ? "Receiver" : "Sender"}`;
  res.writeHead(status, headers);
  res.end(body);
}
