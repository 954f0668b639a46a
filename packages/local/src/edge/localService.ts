import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * One AWS service served behind the edge. The edge picks the service by the SigV4
 * credential scope of the request's `Authorization` header (`.../us-east-1/sqs/aws4_request`)
 * and hands it the untouched request: the service reads the body itself.
 */
export interface LocalService {
  /** SigV4 service names this service answers (e.g. `["sqs", "sns"]`, `["dynamodb"]`, `["lambda"]`). */
  readonly signingNames: readonly string[];
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
  /** Releases timers, workers and stores. */
  close(): Promise<void>;
}
