import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { readBody, sendJson } from "../lambdaHttp.js";
import { supportedRuntimes } from "./functionRequests.js";
import { ControlPlaneErrorType, LambdaApiError } from "./lambdaApiError.js";

/** AWS accepts a direct upload up to this many request bytes (base64 of a 50 MB zip fits). */
const maxRequestBytes = 70_167_211;
const rolePattern = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;

/** An alias name as Lambda accepts it: letters, digits, `-` and `_`, not only digits. */
export const aliasNamePattern = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;

/** Lambda's `LastModified` form of an epoch-ms time (`2026-01-01T00:00:00.000+0000`). */
export function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

/** Answers a refused request as Lambda does: the status, `x-amzn-ErrorType` and a `message`. */
export function sendError(res: ServerResponse, error: LambdaApiError): void {
  sendJson(
    res,
    error.status,
    { Type: "User", message: error.message },
    { "x-amzn-ErrorType": error.errorType },
  );
}

/** An `InvalidParameterValueException` with this message. */
export function invalid(message: string): LambdaApiError {
  return new LambdaApiError(ControlPlaneErrorType.InvalidParameterValue, message);
}

/** The request's JSON body, parsed by `schema`; refused as Lambda refuses a large or malformed one. */
export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
  const read = await readBody(req, maxRequestBytes);
  if (!read.ok) {
    throw new LambdaApiError(
      ControlPlaneErrorType.RequestTooLarge,
      `Request must be smaller than ${maxRequestBytes} bytes for the operation`,
    );
  }
  let value: unknown = {};
  if (read.body.length > 0) {
    try {
      value = JSON.parse(read.body.toString("utf8"));
    } catch {
      throw invalid("Could not parse request body into json");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(
      `1 validation error detected: Value at '${issue?.path.join(".") ?? ""}' failed to satisfy constraint: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

/** The runtime a .zip function asks for, when the local service runs it. */
export function checkRuntime(runtime: string | undefined): string {
  if (runtime === undefined) throw invalid("Runtime is required for a .zip deployment package");
  if (!(supportedRuntimes as readonly string[]).includes(runtime)) {
    throw invalid(
      `Value '${runtime}' at 'runtime' failed to satisfy constraint: the local Lambda service runs ${supportedRuntimes.join(", ")}`,
    );
  }
  return runtime;
}

/** Refuses a role that is not an IAM role ARN. */
export function checkRole(role: string): void {
  if (!rolePattern.test(role)) {
    throw invalid(
      `1 validation error detected: Value '${role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rolePattern.source}`,
    );
  }
}

/** Refuses a change made against an older revision than `actual`. */
export function checkRevision(expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected !== actual) {
    throw new LambdaApiError(
      ControlPlaneErrorType.PreconditionFailed,
      "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
    );
  }
}
