import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";

/**
 * Answers with an error shaped like AWS's JSON protocols (`{ "__type": name, "message": ... }` plus
 * `x-amzn-ErrorType`), which both SDK v3 and botocore turn into an exception whose name is `type`.
 */
export function sendAwsJsonError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  contentType = "application/x-amz-json-1.1",
): void {
  sendAwsJson(res, status, { __type: type, message }, contentType, { "x-amzn-ErrorType": type });
}

/** Writes an AWS JSON protocol response with a request id, as every AWS JSON service does. */
export function sendAwsJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = "application/x-amz-json-1.1",
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(payload),
    "x-amzn-RequestId": randomUUID(),
    ...headers,
  });
  res.end(payload);
}
