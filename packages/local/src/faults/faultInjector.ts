import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseWith } from "@sqs-dispatcher/config";
import { operationOf } from "../edge/operationOf.js";
import { callerOf } from "./callerOf.js";
import { type FaultRule, type FaultRuleInput, faultRuleSchema } from "./faultRule.js";

/** Counts of what the injector did, per `service:operation`: requests a rule matched, faults injected, holds among them. */
export type FaultCounts = Record<string, { seen: number; injected: number; delayed: number }>;

/** What a request carries that rules match on. */
export interface FaultTarget {
  service: string;
  operation: string | undefined;
  /** The Lambda function the request came from (see {@link callerOf}). */
  caller: string | undefined;
}

/**
 * Decides, per request, whether the edge answers with an injected AWS error instead of the
 * service, holds the request for a while first, or both.
 */
export interface FaultInjector {
  /** Replaces the rules (an empty list turns injection off). Requests already held keep their hold. */
  set(rules: readonly FaultRuleInput[]): void;
  rules(): readonly FaultRule[];
  /**
   * Resolves true once the injector has dealt with the request (answered it with the rule's error,
   * or dropped it because its caller went away or the injector closed during a hold), or false to let
   * it through to the service: at once, or after the rule's `delayMs`. The body is never read on the
   * way through, so the service gets the request untouched.
   */
  intercept(service: string, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  counts(): FaultCounts;
  /** Requests being held right now. */
  holding(): number;
  /** Ends every hold at once and refuses new ones (the edge is closing): held requests are dropped, not passed on. */
  close(): void;
}

/** The first rule that applies to a request, in list order. */
export function matchingRule(rules: readonly FaultRule[], target: FaultTarget): FaultRule | undefined {
  return rules.find(
    (r) =>
      r.service === target.service &&
      (r.operation === "*" || r.operation === target.operation) &&
      (r.caller === undefined || r.caller === target.caller),
  );
}

/**
 * @param random injected so tests decide which requests fail.
 */
export function createFaultInjector(random: () => number = Math.random): FaultInjector {
  let active: FaultRule[] = [];
  const counts: FaultCounts = {};
  /** Ends a hold early; each held request has one. */
  const holds = new Set<() => void>();
  let closed = false;

  /** Resolves true when `ms` passed with the caller still waiting, false if it went away or close() ran. */
  const hold = (res: ServerResponse, ms: number): Promise<boolean> => {
    if (closed || res.socket?.destroyed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (elapsed: boolean) => {
        clearTimeout(timer);
        res.off("close", cancel);
        holds.delete(cancel);
        resolve(elapsed);
      };
      // A caller that gave up (a Lambda environment ended by its timeout) gets nothing: its request
      // is dropped rather than reaching the service long after, as a write from a dead invocation.
      const cancel = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      res.once("close", cancel);
      holds.add(cancel);
    });
  };

  return {
    set(rules) {
      active = rules.map((rule, i) => parseWith(faultRuleSchema, rule, `Fault rule ${i}`));
    },
    rules: () => active,
    counts: () => structuredClone(counts),
    holding: () => holds.size,
    close() {
      closed = true;
      for (const cancel of [...holds]) cancel();
    },
    async intercept(service, req, res) {
      if (active.length === 0) return false;
      const operation = operationOf(req.method, req.url, req.headers);
      const caller = active.some((r) => r.caller !== undefined) ? callerOf(req.headers) : undefined;
      const rule = matchingRule(active, { service, operation, caller });
      if (!rule) return false;
      const key = `${service}:${operation ?? "?"}`;
      const count = counts[key] ?? { seen: 0, injected: 0, delayed: 0 };
      counts[key] = count;
      count.seen++;
      if (random() >= rule.rate) return false;
      count.injected++;
      if (rule.delayMs !== undefined) {
        count.delayed++;
        if (!(await hold(res, rule.delayMs))) {
          if (!res.destroyed) res.destroy();
          return true;
        }
      }
      if (!rule.error) return false;
      // The service never sees the request: drain it so the keep-alive connection stays usable.
      req.resume();
      sendInjectedError(res, service, rule.error);
      return true;
    },
  };
}

function sendInjectedError(
  res: ServerResponse,
  service: string,
  error: NonNullable<FaultRule["error"]>,
): void {
  const { status, type, message } = error;
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
