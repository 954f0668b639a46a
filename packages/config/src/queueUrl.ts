import { AwsLimits } from "./limits.js";

/** `sqs.<region>.amazonaws.com` (or `.amazonaws.com.cn` in China): SQS's own endpoints, nothing else. */
const awsSqsHostPattern = /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(amazonaws\.com(?:\.cn)?)$/;
/** The local edge: loopback by address or name, or fauxqs's `sqs.<region>.localhost`. */
const localSqsHostPattern = /^(?:127\.0\.0\.1|localhost|sqs\.[a-z]{2}(?:-[a-z]+)+-\d+\.localhost)$/;

/**
 * Where routes may point their queue URLs: the SQS endpoints of the stack's partition on AWS,
 * or the local edge's own origin on the local cloud.
 */
export type QueueUrlScope = { kind: "aws"; region: string } | { kind: "local"; edge: string };

/** The DNS suffix of SQS endpoints in a region's partition (`amazonaws.com.cn` in China). */
export function sqsUrlSuffixOf(region: string): string {
  return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/**
 * Why `queueUrl` is not the URL of the SQS queue `queueName`, or undefined when it is.
 *
 * Without a scope, the URL must be shaped like one SQS hands out (`https://sqs.<region>.amazonaws.com`
 * or the local edge, then `/<12-digit account>/<queueName>`, nothing more). With a scope, it must
 * also be an endpoint of that scope: the stack's partition on AWS, the edge's host and port locally.
 * A poller sends ReceiveMessage and DeleteMessage to this URL and hands what comes back to a
 * handler as SQS records, so no other host may appear here.
 *
 * @example
 * queueUrlProblem("https://sqs.us-east-1.amazonaws.com/123456789012/orders", "orders") // undefined
 * queueUrlProblem("https://evil.example/123456789012/orders", "orders") // "must be an SQS endpoint ..."
 */
export function queueUrlProblem(
  queueUrl: string,
  queueName: string,
  scope?: QueueUrlScope,
): string | undefined {
  if (queueUrl.length > AwsLimits.sqsQueueUrlMaxLength) {
    return `must be at most ${AwsLimits.sqsQueueUrlMaxLength} characters (${queueUrl.length})`;
  }
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    return "must be the queue's URL";
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    return "must be a plain queue URL (no credentials, query or fragment)";
  }
  const segments = url.pathname.split("/");
  if (segments.length !== 3 || !/^\d{12}$/.test(segments[1] ?? "") || segments[2] !== queueName) {
    return `must end in /<12-digit account>/${queueName} (the route's queueName)`;
  }
  const aws = awsSqsHostPattern.exec(url.hostname);
  const isAws = aws !== null && url.protocol === "https:" && url.port === "";
  const isLocal = localSqsHostPattern.test(url.hostname) && url.protocol === "http:";
  if (!isAws && !isLocal) {
    return "must be an SQS endpoint (https://sqs.<region>.amazonaws.com/...) or the local cloud's edge";
  }
  if (scope?.kind === "aws") {
    const suffix = sqsUrlSuffixOf(scope.region);
    if (!isAws || aws?.[2] !== suffix) {
      return `must be an SQS endpoint of this stack's partition (https://sqs.<region>.${suffix}/...)`;
    }
  }
  if (scope?.kind === "local") {
    const edge = new URL(scope.edge);
    if (!isLocal || url.port !== edge.port) {
      return `must be a queue of the local cloud's edge (${edge.origin})`;
    }
  }
  return undefined;
}
