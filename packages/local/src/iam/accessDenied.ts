import type { ServerResponse } from "node:http";
import { sendAwsJson } from "../edge/awsJsonError.js";

/**
 * AWS's message for an action no identity policy allows, as every service words it.
 *
 * @example
 * accessDeniedMessage("arn:aws:sts::000000000000:assumed-role/PollerRole/poller", "sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:audit")
 * // "User: arn:aws:sts::…/poller is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:… because no identity-based policy allows the sqs:SendMessage action"
 */
export function accessDeniedMessage(principalArn: string, action: string, resource: string): string {
  return `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
}

/**
 * Answers a denied request in its service's protocol, with the error name its SDK client raises:
 * SQS `AccessDenied` (JSON 1.0 with the query-compatible code header), DynamoDB, SSM, CloudWatch and
 * SNS-JSON `AccessDeniedException` (400), Lambda `AccessDeniedException` (403, REST-JSON), SNS query
 * `AuthorizationError` (403, XML).
 */
export function sendAccessDenied(
  res: ServerResponse,
  service: string,
  message: string,
  sns = { query: false },
): void {
  switch (service) {
    case "sqs":
      sendAwsJson(
        res,
        403,
        { __type: "com.amazon.coral.service#AccessDeniedException", message },
        "application/x-amz-json-1.0",
        { "x-amzn-query-error": "AccessDenied;Sender", "x-amzn-ErrorType": "AccessDeniedException" },
      );
      return;
    case "lambda":
      sendAwsJson(res, 403, { Type: "User", message }, "application/json", {
        "x-amzn-ErrorType": "AccessDeniedException",
      });
      return;
    case "sns":
      if (sns.query) {
        const xml = `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>${escapeXml(message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`;
        res.writeHead(403, { "content-type": "text/xml", "content-length": Buffer.byteLength(xml) });
        res.end(xml);
        return;
      }
      sendAwsJson(res, 403, { __type: "AuthorizationError", message }, "application/x-amz-json-1.0", {
        "x-amzn-ErrorType": "AuthorizationError",
      });
      return;
    default:
      sendAwsJson(
        res,
        400,
        { __type: "AccessDeniedException", message },
        service === "monitoring" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1",
        { "x-amzn-ErrorType": "AccessDeniedException" },
      );
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
