/**
 * Whether an SQS error says the queue does not exist: SQS names it `QueueDoesNotExist` in its JSON
 * protocol and `AWS.SimpleQueueService.NonExistentQueue` in the query-era code that emulators still send.
 */
export function isMissingQueue(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { Code?: string }).Code ?? "";
  return /QueueDoesNotExist|NonExistentQueue/.test(`${error.name} ${code}`);
}
