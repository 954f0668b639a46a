import type { Clock } from "../clock.js";
import type { VisibilityTimeoutCache } from "../dispatch/extendVisibility.js";
import type { QueueClient } from "../queue/ports.js";

/**
 * Whether the queue's visibility timeout is known, reading it (GetQueueAttributes) into the
 * cache the visibility extender uses when it is not yet: a lane receives only once it is, so a
 * batch's messages are never extended by an assumed timeout. A queue client that cannot read it
 * (the port's method is optional) leaves the extender to SQS's default. The caller retries a
 * failed read with its own backoff.
 *
 * @throws what the read threw.
 */
export async function ensureVisibilityKnown(
  queue: Pick<QueueClient, "visibilityTimeoutSec">,
  cache: VisibilityTimeoutCache,
  clock: Pick<Clock, "now">,
  queueUrl: string,
): Promise<void> {
  // Once known, the extender refreshes it and keeps the last value when a refresh fails.
  if (!queue.visibilityTimeoutSec || cache.has(queueUrl)) return;
  const sec = await queue.visibilityTimeoutSec(queueUrl);
  cache.set(queueUrl, { sec, at: clock.now() });
}
