import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type DynamoDBDocumentClient, ScanCommand, type ScanCommandOutput } from "@aws-sdk/lib-dynamodb";
import type { Clock } from "@sqs-dispatcher/core";
import { queueNames } from "./soakRegistry.js";

/** A row of the tokens table, as the soak reads it. */
export interface TokenRow {
  queueUrl: string;
  token: string;
  loopId: string;
  lastUsed?: number;
  /** A member row's group (a queue polled by a shared loop). */
  group?: string;
}

/** What the soak's phases read the platform with. */
export interface SoakProbes {
  /** Every token row (a consistent, paginated scan). */
  tokens(): Promise<TokenRow[]>;
  /** Polls `probe` every 250 ms until it returns a value; throws naming `what` after `limitMs`. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, limitMs: number): Promise<T>;
  /** Messages visible, in flight and delayed on one queue. */
  depthOf(url: string): Promise<number>;
  /** Messages left on the soak's queues, summed. */
  remaining(): Promise<number>;
}

/** Builds the soak's probes over the deployment's clients. */
export function createSoakProbes(deps: {
  sqs: SQSClient;
  doc: DynamoDBDocumentClient;
  clock: Clock;
  tokensTable: string;
  urlOf: (queueName: string) => string;
}): SoakProbes {
  const { sqs, doc, clock, urlOf } = deps;
  const tokens = async (): Promise<TokenRow[]> => {
    const rows: TokenRow[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page: ScanCommandOutput = await doc.send(
        new ScanCommand({
          TableName: deps.tokensTable,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      rows.push(...((page.Items ?? []) as TokenRow[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return rows;
  };
  const waitFor = async <T>(
    what: string,
    probe: () => Promise<T | undefined>,
    limitMs: number,
  ): Promise<T> => {
    const deadline = clock.now() + limitMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (clock.now() > deadline) throw new Error(`soak: ${what} did not happen within ${limitMs} ms`);
      await clock.sleep(250);
    }
  };
  const depthOf = async (url: string) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
        ],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  };
  const remaining = async () => {
    let total = 0;
    for (const name of queueNames) total += await depthOf(urlOf(name));
    return total;
  };
  return { tokens, waitFor, depthOf, remaining };
}
