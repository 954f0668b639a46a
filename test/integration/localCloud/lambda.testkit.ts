import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import type { LogFields, Logger } from "@sqs-dispatcher/core";
import { type LocalCloud, type LocalFunctionStats, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll } from "vitest";
import { waitFor } from "../support/waitFor.js";

/*
 * The local Lambda's tests' cloud: `useLambdaCloud` starts one local cloud for the test file
 * (beforeAll), registers the file's functions and stops it afterwards. The `let` bindings below
 * are read live once it has started.
 */

export const fixtures = "test/fixtures/functions";
export const clientConfig = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

export let cloud: LocalCloud;
export let lambda: LambdaClient;
/** No SDK retries: a 429 must reach the test as it left the service. */
export let lambdaNoRetry: LambdaClient;
/** What the cloud's logger was given, in order (the handlers' console output among it). */
export const logLines: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];
const capturingLogger: Logger = {
  debug: (message, fields) => logLines.push({ level: "debug", message, fields }),
  info: (message, fields) => logLines.push({ level: "info", message, fields }),
  warn: (message, fields) => logLines.push({ level: "warn", message, fields }),
  error: (message, fields) => logLines.push({ level: "error", message, fields }),
};

export const decode = (out: InvokeCommandOutput) =>
  JSON.parse(new TextDecoder().decode(out.Payload)) as Record<string, unknown>;

export async function invoke(
  functionName: string,
  payload: unknown,
  extra: Partial<InvokeCommand["input"]> = {},
) {
  return lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(payload), ...extra }),
  );
}

/** Polls a function's stats until `done` holds; fails with the last stats at the deadline. */
export async function waitForStats(
  name: string,
  done: (stats: LocalFunctionStats) => boolean,
  timeoutMs = 30_000,
): Promise<LocalFunctionStats> {
  return waitFor(
    () => {
      const stats = cloud.lambda.stats(name);
      if (!done(stats)) throw new Error(`stats ${JSON.stringify(stats)}`);
      return stats;
    },
    { timeoutMs, intervalMs: 50, description: `the condition on ${name}'s stats` },
  );
}

/** Registers a function whose handler is an export of `basic.ts` (3 s timeout, 256 MB unless `extra` says). */
export function registerBasic(name: string, exportName: string, extra: object = {}) {
  return cloud.lambda.register({
    name,
    handler: `${fixtures}/basic.${exportName}`,
    timeoutSec: 3,
    memoryMb: 256,
    ...extra,
  });
}

/** Starts the file's local cloud and clients before its tests, registers its functions, stops them after. */
export function useLambdaCloud(register: () => Promise<unknown>): void {
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, logger: capturingLogger });
    lambda = new LambdaClient(clientConfig(cloud.endpoint));
    lambdaNoRetry = new LambdaClient({ ...clientConfig(cloud.endpoint), maxAttempts: 1 });
    await register();
  });

  afterAll(async () => {
    lambda?.destroy();
    lambdaNoRetry?.destroy();
    await cloud?.stop();
  });
}
