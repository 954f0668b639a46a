/** Where an SQS queue lives, as far as its URL tells. */
export interface QueueIdentity {
  accountId: string;
  queueName: string;
  /** Absent when the host does not name one (a local endpoint such as `127.0.0.1:4566`). */
  region?: string;
}

/**
 * Reads account, name and (when present) region from an SQS queue URL:
 * `https://sqs.us-east-1.amazonaws.com/123456789012/orders`,
 * `https://sqs.eu-west-1.amazonaws.com.cn/...`, `http://sqs.us-east-1.localhost:4566/000000000000/orders`,
 * `http://127.0.0.1:4566/000000000000/orders`. Undefined for anything else.
 */
export function queueIdentityOf(queueUrl: string): QueueIdentity | undefined {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    return undefined;
  }
  const segments = url.pathname.split("/").filter((s) => s !== "");
  const [accountId, queueName] = segments;
  if (segments.length !== 2 || !accountId || !queueName || !/^\d{12}$/.test(accountId)) return undefined;
  const region = /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\./.exec(url.hostname)?.[1];
  return region === undefined ? { accountId, queueName } : { accountId, queueName, region };
}
