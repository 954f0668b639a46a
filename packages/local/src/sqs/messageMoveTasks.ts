import { randomUUID } from "node:crypto";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DispatcherError } from "@sqs-dispatcher/config";
import type { Logger } from "@sqs-dispatcher/core";
import { z } from "zod";

/*
 * Emulator gap closed here: fauxqs 1.9.2 has no dead-letter redrive API. These are SQS's
 * StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask (and ListDeadLetterSourceQueues) as the API reference
 * documents them: the source must be a queue that is some queue's dead-letter target; one active
 * task per source; MaxNumberOfMessagesPerSecond 1–500 (unset: as fast as the local SQS goes);
 * without a DestinationArn each message returns to the queue it was dead-lettered from; up to 10
 * most recent tasks per source are listed. Messages are moved the way a client would move them —
 * receive, send, delete through the edge — so visibility, attributes and FIFO groups are fauxqs's.
 */

/** Status values of a message move task, as SQS names them. */
export const MoveTaskStatus = {
  Running: "RUNNING",
  Completed: "COMPLETED",
  Cancelling: "CANCELLING",
  Cancelled: "CANCELLED",
  Failed: "FAILED",
} as const;
export type MoveTaskStatus = (typeof MoveTaskStatus)[keyof typeof MoveTaskStatus];

/** An SQS API error: `code` is the shape name SDK v3 reports, `queryCode` the code botocore reads. */
export class SqsApiError extends DispatcherError {
  override readonly name: string;
  constructor(
    readonly code: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(message, { code });
    this.name = code;
  }
}

/** The queues of fauxqs's store, as far as move tasks need them. */
export interface MoveTaskQueues {
  /** The queue with this ARN, if it exists. */
  byArn(arn: string): { url: string; arn: string; name: string } | undefined;
  /** The queue with this (canonical) URL, if it exists. */
  byUrl(url: string): { url: string; arn: string; name: string } | undefined;
  /** ARNs of the queues whose redrive policy targets `dlqArn`. */
  sourcesOf(dlqArn: string): string[];
  /** The queue a dead-lettered message came from (recorded when fauxqs moved it), if known. */
  deadLetterSourceOf(messageId: string): string | undefined;
  /** Forgets the message's recorded source once it has been moved. */
  forget(messageId: string): void;
}

export interface MessageMoveTasksOptions {
  endpoint: () => string;
  region: string;
  queues: MoveTaskQueues;
  logger?: Pick<Logger, "warn">;
}

interface MoveTask {
  handle: string;
  sourceArn: string;
  destinationArn: string | undefined;
  rate: number | undefined;
  status: MoveTaskStatus;
  moved: number;
  toMove: number | undefined;
  failureReason: string | undefined;
  startedAt: number;
  done: Promise<void>;
}

const startInput = z
  .object({
    SourceArn: z.string().min(1),
    DestinationArn: z.string().min(1).optional(),
    MaxNumberOfMessagesPerSecond: z.number().int().min(1).max(500).optional(),
  })
  .loose();
const listInput = z
  .object({ SourceArn: z.string().min(1), MaxResults: z.number().int().min(1).max(10).optional() })
  .loose();
const cancelInput = z.object({ TaskHandle: z.string().min(1) }).loose();
const listSourcesInput = z
  .object({ QueueUrl: z.string().min(1), MaxResults: z.number().int().min(1).max(1000).optional() })
  .loose();

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SqsApiError(
      "InvalidParameterValueException",
      "InvalidParameterValue",
      `Value for parameter ${issue?.path.join(".") || "input"} is invalid. Reason: ${issue?.message ?? "invalid"}.`,
    );
  }
  return parsed.data;
}

/** The operations served here, by their `X-Amz-Target` suffix. */
export const moveTaskOperations = new Set([
  "ListDeadLetterSourceQueues",
  "StartMessageMoveTask",
  "ListMessageMoveTasks",
  "CancelMessageMoveTask",
]);

export interface MessageMoveTasks {
  /** Answers one of {@link moveTaskOperations}; throws {@link SqsApiError} as SQS would. */
  call(operation: string, input: unknown): Promise<unknown>;
  /** Stops every running task (the cloud is closing). */
  close(): Promise<void>;
}

/**
 * The local SQS's message move tasks.
 *
 * @example
 * const tasks = createMessageMoveTasks({ endpoint, region, queues });
 * await tasks.call("StartMessageMoveTask", { SourceArn: dlqArn });
 */
export function createMessageMoveTasks(options: MessageMoveTasksOptions): MessageMoveTasks {
  const bySource = new Map<string, MoveTask[]>();
  const byHandle = new Map<string, MoveTask>();
  let sqs: SQSClient | undefined;
  let closed = false;
  const client = () => {
    sqs ??= new SQSClient({
      endpoint: options.endpoint(),
      region: options.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
    return sqs;
  };

  const notFound = (what: string) =>
    new SqsApiError("ResourceNotFoundException", "ResourceNotFoundException", `${what} does not exist.`);

  const run = async (task: MoveTask, sourceUrl: string): Promise<void> => {
    const startedAt = Date.now();
    const fixed = task.destinationArn ? options.queues.byArn(task.destinationArn) : undefined;
    while (task.status === MoveTaskStatus.Running && !closed) {
      if (task.toMove !== undefined && task.moved >= task.toMove) break;
      // A batch never exceeds one second's worth of the rate, so the rate holds from the first batch.
      const budget = Math.min(10, task.rate ?? 10, task.toMove === undefined ? 10 : task.toMove - task.moved);
      const received = await client().send(
        new ReceiveMessageCommand({
          QueueUrl: sourceUrl,
          MaxNumberOfMessages: budget,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 30,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["All"],
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) break;
      // Messages grouped by where they go: the fixed destination, or each one's own source.
      const groups = new Map<string, Message[]>();
      for (const message of messages) {
        const id = message.MessageId ?? "";
        const sources = options.queues.sourcesOf(task.sourceArn);
        const target =
          fixed?.arn ??
          options.queues.deadLetterSourceOf(id) ??
          (sources.length === 1 ? sources[0] : undefined);
        if (!target) {
          throw new Error(
            `message ${id} has no recorded source queue and the DLQ has ${sources.length} source queues; give a DestinationArn`,
          );
        }
        const list = groups.get(target) ?? [];
        list.push(message);
        groups.set(target, list);
      }
      for (const [destinationArn, group] of groups) {
        const destination = options.queues.byArn(destinationArn);
        if (!destination) throw new Error(`destination queue ${destinationArn} does not exist`);
        const fifo = destination.name.endsWith(".fifo");
        const sent = await client().send(
          new SendMessageBatchCommand({
            QueueUrl: destination.url,
            Entries: group.map((m, i) => ({
              Id: String(i),
              MessageBody: m.Body ?? "",
              ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
              ...(fifo
                ? {
                    MessageGroupId: m.Attributes?.["MessageGroupId"] ?? "default",
                    MessageDeduplicationId: m.Attributes?.["MessageDeduplicationId"] ?? m.MessageId,
                  }
                : {}),
            })),
          }),
        );
        if (sent.Failed?.length) {
          throw new Error(`sending to ${destination.name} failed: ${sent.Failed[0]?.Message ?? "unknown"}`);
        }
        await client().send(
          new DeleteMessageBatchCommand({
            QueueUrl: sourceUrl,
            Entries: group.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
          }),
        );
        for (const m of group) options.queues.forget(m.MessageId ?? "");
        task.moved += group.length;
      }
      if (task.rate !== undefined) {
        // Stay at or under the rate: the n-th message may not leave before n / rate seconds.
        const due = startedAt + (task.moved / task.rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };

  const start = async (input: unknown) => {
    const request = parse(startInput, input);
    const source = options.queues.byArn(request.SourceArn);
    if (!source) throw notFound(`The source queue ${request.SourceArn}`);
    const sources = options.queues.sourcesOf(source.arn);
    if (sources.length === 0) {
      throw new SqsApiError(
        "UnsupportedOperation",
        "AWS.SimpleQueueService.UnsupportedOperation",
        `Source queue ${source.name} must be configured as a dead-letter queue of another queue.`,
      );
    }
    if (request.DestinationArn && !options.queues.byArn(request.DestinationArn)) {
      throw notFound(`The destination queue ${request.DestinationArn}`);
    }
    const tasks = bySource.get(source.arn) ?? [];
    if (tasks.some((t) => t.status === MoveTaskStatus.Running || t.status === MoveTaskStatus.Cancelling)) {
      throw new SqsApiError(
        "UnsupportedOperation",
        "AWS.SimpleQueueService.UnsupportedOperation",
        `There is already a message movement task running on ${source.name}; only one active task per queue is supported.`,
      );
    }
    const attributes = await client()
      .send(
        new GetQueueAttributesCommand({
          QueueUrl: source.url,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      )
      .catch(() => undefined);
    const handle = Buffer.from(
      JSON.stringify({ taskId: randomUUID(), sourceArn: source.arn }),
      "utf8",
    ).toString("base64");
    const task: MoveTask = {
      handle,
      sourceArn: source.arn,
      destinationArn: request.DestinationArn,
      rate: request.MaxNumberOfMessagesPerSecond,
      status: MoveTaskStatus.Running,
      moved: 0,
      toMove:
        attributes?.Attributes?.["ApproximateNumberOfMessages"] !== undefined
          ? Number(attributes.Attributes["ApproximateNumberOfMessages"])
          : undefined,
      failureReason: undefined,
      startedAt: Date.now(),
      done: Promise.resolve(),
    };
    task.done = run(task, source.url).then(
      () => {
        task.status =
          task.status === MoveTaskStatus.Cancelling ? MoveTaskStatus.Cancelled : MoveTaskStatus.Completed;
      },
      (error: unknown) => {
        task.status = MoveTaskStatus.Failed;
        task.failureReason = error instanceof Error ? error.message : String(error);
        options.logger?.warn("message move task failed", {
          sourceArn: source.arn,
          error: task.failureReason,
        });
      },
    );
    tasks.unshift(task);
    // SQS lists the 10 most recent tasks of a source.
    for (const old of tasks.splice(10)) byHandle.delete(old.handle);
    bySource.set(source.arn, tasks);
    byHandle.set(handle, task);
    return { TaskHandle: handle };
  };

  const list = (input: unknown) => {
    const request = parse(listInput, input);
    const source = options.queues.byArn(request.SourceArn);
    if (!source) throw notFound(`The source queue ${request.SourceArn}`);
    const tasks = (bySource.get(source.arn) ?? []).slice(0, request.MaxResults ?? 1);
    return {
      Results: tasks.map((t) => ({
        // Only a running task can be cancelled, so only it shows its handle.
        ...(t.status === MoveTaskStatus.Running ? { TaskHandle: t.handle } : {}),
        Status: t.status,
        SourceArn: t.sourceArn,
        ...(t.destinationArn ? { DestinationArn: t.destinationArn } : {}),
        ...(t.rate !== undefined ? { MaxNumberOfMessagesPerSecond: t.rate } : {}),
        ApproximateNumberOfMessagesMoved: t.moved,
        ...(t.toMove !== undefined ? { ApproximateNumberOfMessagesToMove: t.toMove } : {}),
        ...(t.failureReason ? { FailureReason: t.failureReason } : {}),
        StartedTimestamp: t.startedAt,
      })),
    };
  };

  const cancel = (input: unknown) => {
    const request = parse(cancelInput, input);
    const task = byHandle.get(request.TaskHandle);
    if (!task || task.status !== MoveTaskStatus.Running) {
      throw notFound(`A running message movement task with handle ${request.TaskHandle}`);
    }
    task.status = MoveTaskStatus.Cancelling;
    return { ApproximateNumberOfMessagesMoved: task.moved };
  };

  return {
    async call(operation, input) {
      switch (operation) {
        case "StartMessageMoveTask":
          return start(input);
        case "ListMessageMoveTasks":
          return list(input);
        case "CancelMessageMoveTask":
          return cancel(input);
        case "ListDeadLetterSourceQueues": {
          const request = parse(listSourcesInput, input);
          const dlq = options.queues.byUrl(request.QueueUrl);
          if (!dlq) {
            throw new SqsApiError(
              "QueueDoesNotExist",
              "AWS.SimpleQueueService.NonExistentQueue",
              "The specified queue does not exist.",
            );
          }
          const urls = options.queues
            .sourcesOf(dlq.arn)
            .flatMap((arn) => options.queues.byArn(arn)?.url ?? [])
            .slice(0, request.MaxResults ?? 1000);
          return { queueUrls: urls };
        }
        default:
          throw new SqsApiError("InvalidAction", "InvalidAction", `Unknown action: ${operation}`);
      }
    },
    async close() {
      closed = true;
      await Promise.all([...byHandle.values()].map((t) => t.done));
      sqs?.destroy();
    },
  };
}
