import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** Lambda's request payload limits: 6 MB for RequestResponse, 1 MB for Event (AWS raised it from 256 KB). */
export const payloadLimits = {
  syncBytes: 6 * 1024 * 1024,
  asyncBytes: 1024 * 1024,
} as const;

/** A request body, or how far past the limit it went (the rest is drained, not buffered). */
export type ReadBody = { ok: true; body: Buffer } | { ok: false; tooLarge: true; size: number };

/** Reads a request body up to `limit` bytes, draining (not keeping) anything beyond. */
export function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => {
      resolve(size > limit ? { ok: false, tooLarge: true, size } : { ok: true, body: Buffer.concat(chunks) });
    });
    req.on("error", reject);
  });
}

/** Lambda's error types, as `x-amzn-ErrorType` names them (the SDK v3 maps the header to `error.name`). */
export const LambdaErrorType = {
  ResourceNotFound: "ResourceNotFoundException",
  TooManyRequests: "TooManyRequestsException",
  RequestTooLarge: "RequestEntityTooLargeException",
  InvalidRequestContent: "InvalidRequestContentException",
  InvalidParameterValue: "InvalidParameterValueException",
  RecursiveInvocation: "RecursiveInvocationException",
  Service: "ServiceException",
  UnknownOperation: "UnknownOperationException",
} as const;
export type LambdaErrorType = (typeof LambdaErrorType)[keyof typeof LambdaErrorType];

/** Writes a JSON response with Lambda's request id header. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "x-amzn-RequestId": headers["x-amzn-RequestId"] ?? randomUUID(),
    ...headers,
  });
  res.end(text);
}

/**
 * Writes an error the way Lambda does: `x-amzn-ErrorType` names it and the body carries `Type`
 * (`User` for the caller's fault, `Service` for ours) and `message`.
 */
export function sendLambdaError(
  res: ServerResponse,
  status: number,
  type: LambdaErrorType,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(
    res,
    status,
    { Type: status >= 500 ? "Service" : "User", message, ...extra },
    {
      "x-amzn-ErrorType": type,
    },
  );
}
