import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Clock, TokenRecord } from "@sqs-dispatcher/core";
import { createDynamoLeaseStore, readQueueDepth } from "@sqs-dispatcher/core/aws";
import { queueNames } from "./soakRegistry.js";

/** A row of the tokens table, as the soak reads it. */
export type TokenRow = TokenRecord;

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
  const leases = createDynamoLeaseStore({ doc, tableName: deps.tokensTable });
  const tokens = async (): Promise<TokenRow[]> => {
    const rows: TokenRow[] = [];
    for await (const page of leases.scan()) rows.push(...page);
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
    const { visible, inFlight, delayed } = await readQueueDepth(sqs, url);
    return visible + inFlight + delayed;
  };
  const remaining = async () => {
    let total = 0;
    for (const name of queueNames) total += await depthOf(urlOf(name));
    return total;
  };
  return { tokens, waitFor, depthOf, remaining };
}
