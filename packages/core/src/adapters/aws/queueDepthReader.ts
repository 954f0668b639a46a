import { type CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { queueNameOf } from "../../routing/queueName.js";
import type { QueueDepthReader } from "../../scaling/ports.js";
import { readQueueDepth } from "./queueDepth.js";

/** How far back the age of the oldest message is looked for: SQS publishes it once a minute. */
const ageLookbackMs = 5 * 60_000;

/**
 * The {@link QueueDepthReader} port over SQS `GetQueueAttributes` ({@link readQueueDepth}), and, given a CloudWatch
 * client, the age of the oldest message over CloudWatch `GetMetricStatistics` (`AWS/SQS`
 * `ApproximateAgeOfOldestMessage`, Maximum, the newest one-minute datapoint of the last five
 * minutes): SQS's API does not report the age, only its metric does.
 */
export function createSqsQueueDepthReader(sqs: SQSClient, cloudwatch?: CloudWatchClient): QueueDepthReader {
  const reader: QueueDepthReader = {
    async visibleMessages(queueUrl) {
      return (await readQueueDepth(sqs, queueUrl)).visible;
    },
  };
  if (cloudwatch === undefined) return reader;
  reader.ageOfOldestSec = async (queueUrl) => {
    const now = Date.now();
    const out = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateAgeOfOldestMessage",
        Dimensions: [{ Name: "QueueName", Value: queueNameOf(queueUrl) }],
        StartTime: new Date(now - ageLookbackMs),
        EndTime: new Date(now),
        Period: 60,
        Statistics: ["Maximum"],
      }),
    );
    const newest = (out.Datapoints ?? [])
      .filter((d) => d.Maximum !== undefined)
      .sort((a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0))[0];
    return newest?.Maximum;
  };
  return reader;
}
