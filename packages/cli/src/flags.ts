import { type ConfigValidationError, isQueueName, queueNameRule } from "@sqs-dispatcher/config";
import { z } from "zod";
import { UsageError } from "./cliErrors.js";

/** `batchSize` → `--batch-size`: messages name the flag the user typed. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A whole-number flag (commander hands over strings), with the bounds in the message. */
export function intFlag(min: number, max?: number) {
  const range = max === undefined ? `at least ${min}` : `between ${min} and ${max}`;
  return z
    .string()
    .regex(/^-?\d+$/, `must be a whole number ${range}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `must be a whole number ${range}`)
        .max(max ?? Number.MAX_SAFE_INTEGER, `must be a whole number ${range}`),
    );
}

/** A positive-number flag that may have a fraction (a rate). */
export function numberFlag(min: number) {
  return z
    .string()
    .regex(/^\d+(\.\d+)?$/, `must be a number greater than ${min}`)
    .transform(Number)
    .pipe(z.number().gt(min, `must be a number greater than ${min}`));
}

/** A queue name argument, checked like SQS checks it (the registry's rule). */
export const queueArg = z.string().refine(isQueueName, queueNameRule);

/** The options every state-printing command takes: where to connect and how to print. */
export const globalFlags = {
  json: z.boolean().default(false),
  local: z.boolean().default(false),
  endpoint: z.url("must be a URL such as http://127.0.0.1:4566").optional(),
  stage: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,40}$/, "must be letters, digits and '-'")
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as us-east-1")
    .optional(),
  profile: z.string().min(1).optional(),
  config: z.string().min(1).optional(),
};
export type GlobalFlags = z.infer<z.ZodObject<typeof globalFlags>>;

/**
 * Validates a command's flags and arguments with its one strict schema; a refusal becomes a
 * {@link UsageError} whose lines name each flag and rule.
 */
export function parseFlags<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path[0];
    if (issue.code === "unrecognized_keys") return `unknown option(s) ${issue.keys.map(flagName).join(", ")}`;
    const name = typeof key === "string" ? (key === "queue" ? "<queue>" : flagName(key)) : "(input)";
    return `${name}: ${issue.message}`;
  });
  throw new UsageError(lines.join("\n"));
}

/** Route fields a flag sets, so a route refusal can name the flag as well as the field. */
const routeFieldFlags: Record<string, string> = {
  functionName: "--function",
  batchSize: "--batch-size",
  batchWindowSec: "--batch-window",
  concurrency: "--concurrency",
  minLoops: "--min-loops",
  maxLoops: "--max-loops",
  scaleStep: "--scale-step",
  paused: "--paused",
  filters: "--filters",
  onNoMatch: "--on-no-match",
  maxRate: "--max-rate",
};

/** A route the schema refused, as a usage error naming the flags involved. */
export function routeRefusal(error: ConfigValidationError): UsageError {
  const lines = error.issues.map((issue) => {
    const field = issue.path.split(/[.[]/)[0] ?? "";
    const flag = routeFieldFlags[field];
    return `${flag ?? issue.path}: ${issue.message}`;
  });
  return new UsageError(lines.join("\n"), {}, { cause: error });
}
