import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { QueueAttributes, QueueDirectory } from "../../status/ports.js";
import { isMissingQueue } from "./missingQueue.js";

function count(value: string | undefined): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** Where poison messages go, read from the JSON `RedrivePolicy` attribute. */
function deadLetterTarget(redrivePolicy: string | undefined): string | undefined {
  if (!redrivePolicy) return undefined;
  try {
    const policy = JSON.parse(redrivePolicy) as { deadLetterTargetArn?: unknown };
    return typeof policy.deadLetterTargetArn === "string" ? policy.deadLetterTargetArn : undefined;
  } catch {
    return undefined;
  }
}

/** The {@link QueueDirectory} port over SQS. */
export function createSqsQueueDirectory(options: { sqs: SQSClient }): QueueDirectory {
  const { sqs } = options;
  return {
    async listQueueUrls() {
      const urls: string[] = [];
      let nextToken: string | undefined;
      do {
        const out = await sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken: nextToken }));
        urls.push(...(out.QueueUrls ?? []));
        nextToken = out.NextToken;
      } while (nextToken);
      return urls;
    },

    async queueUrl(queueName) {
      try {
        return (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;
      } catch (error) {
        if (isMissingQueue(error)) return undefined;
        throw error;
      }
    },

    async attributes(queueUrl): Promise<QueueAttributes | undefined> {
      try {
        const out = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: [
              "QueueArn",
              "ApproximateNumberOfMessages",
              "ApproximateNumberOfMessagesNotVisible",
              "ApproximateNumberOfMessagesDelayed",
              "RedrivePolicy",
            ],
          }),
        );
        const a = out.Attributes ?? {};
        return {
          arn: a.QueueArn ?? "",
          visible: count(a.ApproximateNumberOfMessages),
          inFlight: count(a.ApproximateNumberOfMessagesNotVisible),
          delayed: count(a.ApproximateNumberOfMessagesDelayed),
          deadLetterTargetArn: deadLetterTarget(a.RedrivePolicy),
        };
      } catch (error) {
        if (isMissingQueue(error)) return undefined;
        throw error;
      }
    },
  };
}
