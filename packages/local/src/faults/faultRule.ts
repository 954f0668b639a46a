import { z } from "zod";

/**
 * One kind of failure the edge injects: a share (`rate`, 0..1) of one service's operation
 * answered with AWS's own error instead of reaching the service.
 *
 * @example
 * { service: "dynamodb", operation: "UpdateItem", rate: 0.2,
 *   error: { status: 400, type: "ProvisionedThroughputExceededException" } }
 */
export const faultRuleSchema = z.strictObject({
  /** SigV4 signing name: `sqs`, `dynamodb`, `lambda`, `ssm`, ... */
  service: z.string().min(1),
  /** Operation name as AWS names it (`ReceiveMessage`, `UpdateItem`, `Invoke`); `*` for all. */
  operation: z.string().min(1),
  rate: z.number().min(0).max(1),
  error: z.strictObject({
    status: z.int().min(400).max(599),
    type: z.string().min(1),
    message: z.string().default("injected by the local cloud's fault injection"),
  }),
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
