import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { cbor, dateToTag } from "@smithy/core/cbor";
import { DispatcherError } from "@sqs-dispatcher/config";

/**
 * CloudWatch's two wire protocols: AWS JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`,
 * what SDK v3 speaks) and Smithy RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/operation/<Op>`
 * with `smithy-protocol: rpc-v2-cbor`, what the AWS CLI 1.45 prefers). Timestamps travel as epoch
 * seconds: a JSON number, or CBOR tag 1.
 */
export const WireProtocol = { Json: "json", Cbor: "cbor" } as const;
export type WireProtocol = (typeof WireProtocol)[keyof typeof WireProtocol];

const targetPrefix = "GraniteServiceVersion20100801.";
const cborPathPattern = /^\/service\/GraniteServiceVersion20100801\/operation\/([A-Za-z]+)\/?$/;

export interface WireRequest {
  protocol: WireProtocol;
  operation: string | undefined;
  input: Record<string, unknown>;
}

/**
 * The query-era error codes of CloudWatch's modelled errors. CloudWatch is "awsQueryCompatible":
 * SDK v3 names the exception after the shape in `__type`, botocore after the code in `x-amzn-query-error`.
 */
const queryCodes: Record<string, string> = {
  InvalidParameterValueException: "InvalidParameterValue",
  MissingRequiredParameterException: "MissingParameter",
  InvalidParameterCombinationException: "InvalidParameterCombination",
  InvalidFormatFault: "InvalidFormat",
  InternalServiceFault: "InternalServiceError",
  LimitExceededFault: "LimitExceeded",
};

/** A CloudWatch error, `code` being the modelled shape name (`InvalidParameterValueException`, `ResourceNotFound`). */
export class CloudWatchError extends DispatcherError {
  // The wire layer answers with `name` as the error's `__type`, so it is the modelled code, not the class name.
  override readonly name: string;
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    options?: ErrorOptions,
  ) {
    super(message, { code, status }, options);
    this.name = code;
  }
}

/** CloudWatch's request size limit (PutMetricData: 1 MB); the local wire refuses more, as AWS does. */
export const MAX_CLOUDWATCH_BODY_BYTES = 1_048_576;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Past the cap the rest is read and dropped, so memory stays bounded and the client gets its 413.
    if (size <= MAX_CLOUDWATCH_BODY_BYTES) chunks.push(buffer);
  }
  if (size > MAX_CLOUDWATCH_BODY_BYTES) {
    throw new CloudWatchError(
      "RequestEntityTooLarge",
      `request body of ${size} bytes is larger than ${MAX_CLOUDWATCH_BODY_BYTES} bytes`,
      413,
    );
  }
  return Buffer.concat(chunks);
}

/** Reads the operation and its input, whichever protocol the client speaks. */
export async function readWireRequest(req: IncomingMessage): Promise<WireRequest> {
  const body = await readBody(req);
  const cborMatch = cborPathPattern.exec((req.url ?? "").split("?")[0] ?? "");
  if (cborMatch || req.headers["smithy-protocol"] === "rpc-v2-cbor") {
    let input: unknown = {};
    if (body.length > 0) {
      try {
        input = cbor.deserialize(new Uint8Array(body));
      } catch (error) {
        throw new CloudWatchError("SerializationException", `request body is not CBOR: ${String(error)}`);
      }
    }
    return { protocol: WireProtocol.Cbor, operation: cborMatch?.[1], input: asObject(input) };
  }
  const target = String(req.headers["x-amz-target"] ?? "");
  let input: unknown = {};
  if (body.length > 0) {
    try {
      input = JSON.parse(body.toString("utf8"));
    } catch {
      throw new CloudWatchError("SerializationException", "request body is not JSON");
    }
  }
  return {
    protocol: WireProtocol.Json,
    operation: target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : undefined,
    input: asObject(input),
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A point in time inside a response body; encoded per protocol when the response is written. */
export class WireTimestamp {
  constructor(readonly epochMs: number) {}
}

function encodeTimestamps(value: unknown, protocol: WireProtocol): unknown {
  if (value instanceof WireTimestamp) {
    return protocol === WireProtocol.Cbor ? dateToTag(new Date(value.epochMs)) : value.epochMs / 1000;
  }
  if (Array.isArray(value)) return value.map((v) => encodeTimestamps(v, protocol));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encodeTimestamps(v, protocol);
    return out;
  }
  return value;
}

export function writeWireResponse(
  res: ServerResponse,
  protocol: WireProtocol,
  status: number,
  body: unknown,
): void {
  const encoded = encodeTimestamps(body, protocol);
  const headers: Record<string, string | number> = { "x-amzn-RequestId": randomUUID() };
  let payload: Buffer;
  if (protocol === WireProtocol.Cbor) {
    payload = Buffer.from(cbor.serialize(encoded));
    headers["content-type"] = "application/cbor";
    headers["smithy-protocol"] = "rpc-v2-cbor";
  } else {
    payload = Buffer.from(JSON.stringify(encoded));
    headers["content-type"] = "application/x-amz-json-1.0";
  }
  headers["content-length"] = payload.length;
  res.writeHead(status, headers);
  res.end(payload);
}

export function writeWireError(res: ServerResponse, protocol: WireProtocol, error: CloudWatchError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const queryCode = queryCodes[error.code] ?? error.code;
  res.setHeader("x-amzn-query-error", `${queryCode};${error.status >= 500 ? "Receiver" : "Sender"}`);
  res.setHeader("x-amzn-ErrorType", error.code);
  writeWireResponse(res, protocol, error.status, {
    __type: error.code,
    message: error.message,
    Message: error.message,
  });
}
