import {
  AwsLimits,
  deadLetterQueueName,
  NoMatchKind,
  parseNoMatchAction,
  type RouteConfig,
} from "@sqs-dispatcher/config";
import { Duration, RemovalPolicy, type Stack } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Queue } from "sst/constructs";
import type { StackBuild } from "./context.js";

/** A queue a route drains, as the other stacks and the admin API need it. */
export interface RoutedQueue {
  readonly name: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue?: sqs.IQueue;
  readonly imported: boolean;
}

export { deadLetterQueueName };

/**
 * Imports the existing queue `queueName` of the stack's own account and region. The URL is given
 * alongside the ARN: `fromQueueArn` alone would derive it by splitting the ARN token at deploy time.
 */
export function importQueueByName(stack: Stack, id: string, queueName: string): sqs.IQueue {
  return sqs.Queue.fromQueueAttributes(stack, id, {
    queueArn: stack.formatArn({ service: "sqs", resource: queueName }),
    queueUrl: `https://sqs.${stack.region}.${stack.urlSuffix}/${stack.account}/${queueName}`,
    queueName,
    fifo: queueName.endsWith(".fifo"),
  });
}

/** Queues: imported by ARN or by name, or created with a DLQ and redrive policy; one per route, in order. */
export function createQueues({ stack, registry }: StackBuild): RoutedQueue[] {
  const queues: RoutedQueue[] = registry.routes.map((route) => createQueue(route));
  function createQueue(route: RouteConfig): RoutedQueue {
    const queueName = route.queue.name;
    const id = `Queue-${queueName.replace(/\./g, "-")}`;
    if (route.queue.arn !== undefined) {
      const imported = new Queue(stack, id, {
        cdk: { queue: sqs.Queue.fromQueueArn(stack, `${id}-Imported`, route.queue.arn) },
      });
      return { name: queueName, queue: imported.cdk.queue, imported: true };
    }
    if (route.queue.import === true) {
      const imported = new Queue(stack, id, {
        cdk: { queue: importQueueByName(stack, `${id}-Imported`, queueName) },
      });
      return { name: queueName, queue: imported.cdk.queue, imported: true };
    }
    const fifo = queueName.endsWith(".fifo");
    const dlq = new Queue(stack, `${id}-Dlq`, {
      cdk: {
        queue: {
          queueName: deadLetterQueueName(queueName),
          fifo: fifo || undefined,
          retentionPeriod: Duration.seconds(AwsLimits.sqsRetentionMaxSec),
          enforceSSL: true,
          removalPolicy: RemovalPolicy.RETAIN,
        },
      },
    });
    const queue = new Queue(stack, id, {
      cdk: {
        queue: {
          queueName,
          fifo: fifo || undefined,
          visibilityTimeout: Duration.seconds(route.queue.visibilityTimeoutSec),
          retentionPeriod: Duration.seconds(route.queue.retentionSec),
          deadLetterQueue: { queue: dlq.cdk.queue, maxReceiveCount: route.queue.maxReceiveCount },
          enforceSSL: true,
          // Messages are the user's data: removing the stack must not delete them (as with the tables).
          removalPolicy: RemovalPolicy.RETAIN,
        },
      },
    });
    return { name: queueName, queue: queue.cdk.queue, deadLetterQueue: dlq.cdk.queue, imported: false };
  }
  return queues;
}

/**
 * The registry's queues plus those run-time routes may target (`routableQueues`, names or prefixes):
 * the poller and the scale functions are granted exactly these, and `routes set` refuses any other.
 */
export function routedQueueArnsOf({ stack, registry }: StackBuild, queues: readonly RoutedQueue[]): string[] {
  return [
    ...queues.map((q) => q.queue.queueArn),
    ...registry.routableQueues.map((entry) => stack.formatArn({ service: "sqs", resource: entry })),
  ];
}

/** Queues that routes forward unmatched messages to (`forward:<queue>`, the stack's account and region). */
export function forwardTargetArnsOf({ stack, registry }: StackBuild): string[] {
  return [
    ...new Set(
      registry.routes.flatMap((route) => {
        const action = route.onNoMatch === undefined ? undefined : parseNoMatchAction(route.onNoMatch);
        return action?.kind === NoMatchKind.Forward ? [action.queueName] : [];
      }),
    ),
  ].map((queueName) => stack.formatArn({ service: "sqs", resource: queueName }));
}
