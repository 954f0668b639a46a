import { InvokeCommand } from "@aws-sdk/client-lambda";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { BatchGetCommand, type BatchGetCommandOutput, GetCommand } from "@aws-sdk/lib-dynamodb";
import { defineDispatcher, type Registry, type RegistryInput } from "@sqs-dispatcher/config";
import type { Logger } from "@sqs-dispatcher/core";
import { createDynamoLeaseStore, readQueueDepth } from "@sqs-dispatcher/core/aws";
import {
  type DeployLocalOptions,
  deployLocal,
  type LocalCloud,
  type LocalCloudOptions,
  type LocalDeployment,
  startLocalCloud,
} from "@sqs-dispatcher/local";

/** A log line the local cloud or a function wrote (function output arrives with `functionName`). */
export interface CapturedLog {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** An item of the `processed` table, as the example handlers write it. */
export interface ProcessedItem {
  messageId: string;
  queue: string;
  body: string;
  deliveries: number;
  receiveCount: number;
  firstAt: number;
  lastAt: number;
  handledBy: string;
}

/** A token row, as the `tokens` table holds it. */
export interface TokenRow {
  queueUrl: string;
  token: string;
  loopId: string;
  lastUsed?: number;
  createdAt: number;
  startedAt?: number;
  /** Why the loop cannot invoke its handler, while it cannot. */
  blockedReason?: string;
}

const handlerPath = (name: string) => `packages/functions/src/handlers/${name}.handler`;

/** The example handlers with test-sized timeouts (a queue's visibility must be at least its handler's timeout). */
export const testFunctions = {
  record: { handler: handlerPath("record"), timeoutSec: 2 },
  powertoolsRecord: { handler: handlerPath("powertoolsRecord"), timeoutSec: 2 },
  middyRecord: { handler: handlerPath("middyRecord"), timeoutSec: 2 },
  noop: { handler: handlerPath("noop"), timeoutSec: 2 },
} as const;

/**
 * A registry for a test: the example handlers, the given routes, and local settings short
 * enough that loops turn over, go stale and get restarted within seconds.
 */
export function testRegistry(input: Pick<RegistryInput, "routes"> & Partial<RegistryInput>): Registry {
  return defineDispatcher({
    app: "itest",
    ...input,
    functions: { ...testFunctions, ...input.functions },
    local: {
      routeStore: input.local?.routeStore,
      poller: {
        timeoutSec: 10,
        waitTimeSec: 1,
        marginSec: 1,
        renewEverySec: 1,
        routeCacheTtlSec: 1,
        ...input.local?.poller,
      },
      restart: { intervalSec: 1, staleAfterSec: 8, startGraceSec: 8, ...input.local?.restart },
    },
  });
}

/** A local cloud with a registry deployed on it, and the probes tests look through. */
export interface TestPlatform {
  cloud: LocalCloud;
  deployment: LocalDeployment;
  logs: CapturedLog[];
  queueUrl(name: string): string;
  dlqUrl(name: string): string;
  /** Sends bodies (objects are JSON-encoded) in batches of 10, in order; returns their messageIds in order. */
  send(
    queueName: string,
    bodies: readonly (string | object)[],
    options?: { groupId?: string },
  ): Promise<string[]>;
  /** The `processed` items of these messageIds (absent ones are missing from the map). */
  processed(messageIds: readonly string[]): Promise<Map<string, ProcessedItem>>;
  /** The order in which the handler saw a FIFO group's `traceOrder` messages (messageIds, redeliveries repeated). */
  orderLog(queueName: string, groupId: string): Promise<string[]>;
  /** `ApproximateNumberOfMessages` and `...NotVisible` of a queue. */
  depth(url: string): Promise<{ visible: number; inFlight: number }>;
  /** The tokens of a queue (strongly consistent). */
  tokens(queueUrl: string): Promise<TokenRow[]>;
  /** Runs the restart function now, synchronously, as the schedule would (but waiting for it). */
  restartNow(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Starts a local cloud on a free port and deploys `registry` on it, always with IAM enforced: every
 * function calls with its own role, which the stack's synthesized policies must allow, as on AWS;
 * the test's own clients are the operator's.
 */
export async function startTestPlatform(
  registry: Registry,
  options: Omit<DeployLocalOptions, "logger"> = {},
  cloudOptions: Pick<LocalCloudOptions, "lambdaConcurrency"> = {},
): Promise<TestPlatform> {
  const logs: CapturedLog[] = [];
  const capture =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void logs.push({ level, message, fields });
  const logger: Logger = {
    debug() {},
    info: capture("info"),
    warn: capture("warn"),
    error: capture("error"),
  };
  const cloud = await startLocalCloud({ ...cloudOptions, enforceIam: true, port: 0, logger });
  let deployment: LocalDeployment;
  try {
    deployment = await deployLocal(cloud, registry, { ...options, logger });
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  const { sqs, doc, lambda } = deployment.clients;
  const leases = createDynamoLeaseStore({ doc, tableName: deployment.tables.tokens });
  // Cold starts outside the tests: a first invocation loads the handler's module in a fresh
  // environment, which on a busy machine can take a good part of a short test timeout.
  await Promise.all(
    Object.keys(registry.functions).map((name) =>
      lambda.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ Records: [] }) })),
    ),
  );
  const queueOf = (name: string) => {
    const q = deployment.queues.find((x) => x.name === name);
    if (!q) throw new Error(`no deployed queue ${name}`);
    return q;
  };

  return {
    cloud,
    deployment,
    logs,
    queueUrl: (name) => queueOf(name).url,
    dlqUrl(name) {
      const url = queueOf(name).dlqUrl;
      if (!url) throw new Error(`queue ${name} has no DLQ`);
      return url;
    },
    async send(queueName, bodies, sendOptions = {}) {
      const url = queueOf(queueName).url;
      const fifo = queueName.endsWith(".fifo");
      const ids: string[] = [];
      for (let i = 0; i < bodies.length; i += 10) {
        const chunk = bodies.slice(i, i + 10);
        const result = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: chunk.map((body, j) => ({
              Id: String(j),
              MessageBody: typeof body === "string" ? body : JSON.stringify(body),
              ...(fifo
                ? {
                    MessageGroupId: sendOptions.groupId ?? "default",
                    MessageDeduplicationId: `${Date.now()}-${i + j}-${Math.random()}`,
                  }
                : {}),
            })),
          }),
        );
        if (result.Failed?.length) throw new Error(`send failed: ${JSON.stringify(result.Failed)}`);
        const byId = new Map((result.Successful ?? []).map((s) => [s.Id, s.MessageId!]));
        for (let j = 0; j < chunk.length; j++) ids.push(byId.get(String(j))!);
      }
      return ids;
    },
    async processed(messageIds) {
      const found = new Map<string, ProcessedItem>();
      for (let i = 0; i < messageIds.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = messageIds
          .slice(i, i + 100)
          .map((messageId) => ({ messageId }));
        while (keys && keys.length > 0) {
          const result: BatchGetCommandOutput = await doc.send(
            new BatchGetCommand({
              RequestItems: { [deployment.tables.processed]: { Keys: keys, ConsistentRead: true } },
            }),
          );
          for (const item of result.Responses?.[deployment.tables.processed] ?? []) {
            found.set(item.messageId as string, item as ProcessedItem);
          }
          keys = result.UnprocessedKeys?.[deployment.tables.processed]?.Keys;
        }
      }
      return found;
    },
    async orderLog(queueName, groupId) {
      const { Item } = await doc.send(
        new GetCommand({
          TableName: deployment.tables.processed,
          Key: { messageId: `#order#${queueName}#${groupId}` },
          ConsistentRead: true,
        }),
      );
      return (Item?.seen as string[] | undefined) ?? [];
    },
    async depth(url) {
      const { visible, inFlight } = await readQueueDepth(sqs, url);
      return { visible, inFlight };
    },
    tokens: (queueUrl) => leases.listByQueue(queueUrl),
    async restartNow() {
      const result = await lambda.send(
        new InvokeCommand({
          FunctionName: "restart",
          InvocationType: "RequestResponse",
          Payload: JSON.stringify({ "detail-type": "Scheduled Event", source: "aws.events", detail: {} }),
        }),
      );
      const text = result.Payload ? new TextDecoder().decode(result.Payload) : "";
      if (result.FunctionError) throw new Error(`restart failed: ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async stop() {
      await deployment.stopLoops();
      await deployment.stop();
      await cloud.stop();
    },
  };
}
