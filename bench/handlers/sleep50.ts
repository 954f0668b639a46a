import type { SQSEvent } from "aws-lambda";

/**
 * A handler that takes 50 ms per batch, as a handler calling a database or an API does: with it
 * the concurrency sweep shows what batches in flight buy when the handler, not the queue, is slow.
 */
export async function handler(_event: SQSEvent): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
