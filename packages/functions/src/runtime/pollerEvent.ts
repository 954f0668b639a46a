import { type QueueUrlScope, queueUrlProblem } from "@sqs-dispatcher/config";
import { groupIdPattern, type PollerEvent } from "@sqs-dispatcher/core";
import { z } from "zod";
import { EnvVar, optionalEnv } from "./environment.js";

/**
 * Token ids and loopIds: what the platform makes (UUIDs, restart's slot ids), and far inside
 * DynamoDB's 1,024-byte sort-key limit, so a heartbeat can never fail with a ValidationException
 * that no retry fixes.
 */
const loopIdentityPattern = /^[A-Za-z0-9_-]{1,128}$/;
const loopIdentityRule = "must be 1-128 letters, digits, '-' or '_'";

/** The last path segment of a URL (the queue name of an SQS queue URL), or "" when there is none. */
function lastSegmentOf(value: string): string {
  return value.split("?")[0]?.split("/").pop() ?? "";
}

/**
 * The poller's one input: the loop's identity. Strict, so a foreign event is never mistaken for a loop.
 * With a scope, the queue URL must also be one of that place's SQS: the stack's partition on AWS (not
 * a loopback URL, where Lambda's own runtime API listens), the edge locally.
 */
export function pollerEventSchemaFor(scope?: QueueUrlScope) {
  return z.strictObject({
    queueUrl: z.string({ error: "queueUrl must be the queue's URL" }).superRefine((queueUrl, ctx) => {
      const problem = queueUrlProblem(queueUrl, lastSegmentOf(queueUrl), scope);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: `queueUrl ${problem}` });
    }),
    token: z
      .string({ error: "token must be a string" })
      .regex(loopIdentityPattern, `token ${loopIdentityRule}`),
    loopId: z
      .string({ error: "loopId must be a string" })
      .regex(loopIdentityPattern, `loopId ${loopIdentityRule}`),
  });
}

/**
 * A shared loop's event: its group and loopId, nothing else (strict). The members come from the
 * group's row in the tokens table, never from the event, so the event's size does not grow with them.
 */
export const sharedLoopEventSchema = z.strictObject({
  group: z.string({ error: "group must be a string" }).regex(groupIdPattern, "group must be g-<number>"),
  loopId: z
    .string({ error: "loopId must be a string" })
    .regex(loopIdentityPattern, `loopId ${loopIdentityRule}`),
});

/** The poller event's schema without a scope (any SQS endpoint or the local edge). */
export const pollerEventSchema = pollerEventSchemaFor();

/**
 * Where this function's queue URLs may point: the edge when the local cloud runs it
 * (`AWS_ENDPOINT_URL` set), else SQS of its region's partition; undefined when neither is known.
 */
export function queueUrlScopeFromEnv(env: NodeJS.ProcessEnv = process.env): QueueUrlScope | undefined {
  const edge = optionalEnv(EnvVar.EndpointUrl, env);
  if (edge !== undefined) return { kind: "local", edge };
  const region = optionalEnv(EnvVar.AwsRegion, env) ?? optionalEnv(EnvVar.AwsDefaultRegion, env);
  return region === undefined ? undefined : { kind: "aws", region };
}

/** How much of a dropped event a log line shows: enough to recognise it, never a whole oversized payload. */
export const droppedEventLogChars = 512;

/** Parses a poller event; a malformed one yields the issues a log line shows. */
export function parsePollerEvent(
  input: unknown,
  scope?: QueueUrlScope,
): { ok: true; event: PollerEvent } | { ok: false; issues: string[] } {
  // An event naming a group is a shared loop's: parsed by its own schema, so each shape's
  // messages say what is wrong with it rather than that it is neither.
  const shared = typeof input === "object" && input !== null && "group" in input;
  const schema = shared
    ? sharedLoopEventSchema
    : scope === undefined
      ? pollerEventSchema
      : pollerEventSchemaFor(scope);
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, event: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`),
  };
}

/** The event as a log line shows it: JSON, cut to {@link droppedEventLogChars} characters. */
export function describeDroppedEvent(event: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(event) ?? String(event);
  } catch {
    text = String(event);
  }
  return text.length > droppedEventLogChars
    ? `${text.slice(0, droppedEventLogChars)}… (${text.length} characters)`
    : text;
}
