import type { LoopEvent } from "@sqs-dispatcher/core";
import { z } from "zod";

/** The poller's one input: the loop's identity. Strict, so a foreign event is never mistaken for a loop. */
export const pollerEventSchema = z.strictObject({
  queueUrl: z.url({ error: "queueUrl must be the queue's URL" }),
  token: z.string().min(1, "token must not be empty"),
  loopId: z.string().min(1, "loopId must not be empty"),
});

/** Parses a poller event; a malformed one yields the issues a log line shows. */
export function parsePollerEvent(
  input: unknown,
): { ok: true; event: LoopEvent } | { ok: false; issues: string[] } {
  const result = pollerEventSchema.safeParse(input);
  if (result.success) return { ok: true, event: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`),
  };
}
