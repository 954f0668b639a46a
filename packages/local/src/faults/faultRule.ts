import { z } from "zod";

/** Lambda's function name rule (the caller is named by the function's local session token). */
const callerPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Longest hold: Lambda's maximum timeout, beyond which no caller is still waiting. */
const maxDelayMs = 900_000;

/**
 * One kind of failure the edge injects into a share (`rate`, 0..1) of one service's operation:
 * AWS's own `error` instead of the service's answer, a `delayMs` hold before answering (with the
 * error if there is one, otherwise by passing the request on to the service late), or both.
 * With `caller`, only requests made from inside that Lambda function match (the local Lambda
 * service names each function in its session token, `local-lambda:<functionName>`), so a rule can
 * hang the poller's heartbeats while restart's claims on the same table go through.
 *
 * @example
 * { service: "dynamodb", operation: "UpdateItem", rate: 0.2,
 *   error: { status: 400, type: "ProvisionedThroughputExceededException" } }
 * @example
 * // The poller's DynamoDB writes hang for a minute, then reach the table.
 * { service: "dynamodb", operation: "UpdateItem", rate: 1, delayMs: 60_000, caller: "poller" }
 */
export const faultRuleSchema = z
  .strictObject({
    /** SigV4 signing name: `sqs`, `dynamodb`, `lambda`, `ssm`, ... */
    service: z.string().min(1),
    /** Operation name as AWS names it (`ReceiveMessage`, `UpdateItem`, `Invoke`); `*` for all. */
    operation: z.string().min(1),
    rate: z.number().min(0).max(1),
    error: z
      .strictObject({
        status: z.int().min(400).max(599),
        type: z.string().min(1),
        message: z.string().default("injected by the local cloud's fault injection"),
      })
      .optional(),
    /** How long the edge holds a matching request before answering it (or passing it on). */
    delayMs: z.int().min(1).max(maxDelayMs).optional(),
    /** Only requests made from inside this Lambda function match; absent, every caller does. */
    caller: z
      .string()
      .regex(callerPattern, "caller must be a Lambda function name: 1-64 letters, digits, - and _")
      .optional(),
  })
  .refine((rule) => rule.error !== undefined || rule.delayMs !== undefined, {
    message: "a fault rule needs an error to answer with, a delayMs to hold the request, or both",
  });
export type FaultRule = z.infer<typeof faultRuleSchema>;
export type FaultRuleInput = z.input<typeof faultRuleSchema>;

/** The faults the soak and benchmarks reach for most. */
export const CommonFaults = {
  dynamoThrottle: (rate: number): FaultRuleInput => ({
    service: "dynamodb",
    operation: "UpdateItem",
    rate,
    error: { status: 400, type: "ProvisionedThroughputExceededException" },
  }),
  lambdaThrottle: (rate: number): FaultRuleInput => ({
    service: "lambda",
    operation: "Invoke",
    rate,
    error: { status: 429, type: "TooManyRequestsException" },
  }),
  sqsReceive500: (rate: number): FaultRuleInput => ({
    service: "sqs",
    operation: "ReceiveMessage",
    rate,
    error: { status: 500, type: "InternalError" },
  }),
} as const;
