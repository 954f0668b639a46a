import type { SQSEvent } from "aws-lambda";

/** Does nothing and returns nothing: every record succeeds. Benchmarks use it to measure the platform alone. */
export async function handler(_event: SQSEvent): Promise<void> {}
