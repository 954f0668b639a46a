/**
 * The queue name of an SQS queue URL: its last path segment
 * (`https://sqs.us-east-1.amazonaws.com/123456789012/orders` → `orders`).
 */
export function queueNameOf(queueUrl: string): string {
  const path = queueUrl.replace(/[?#].*$/, "").replace(/\/+$/, "");
  return path.slice(path.lastIndexOf("/") + 1);
}
