import type { IncomingHttpHeaders } from "node:http";
import { localSessionTokenPrefix } from "../lambda/lambdaService.js";

/**
 * The Lambda function a request was made from. Lambda gives each function session credentials
 * (`AWS_SESSION_TOKEN`, a reserved variable a function cannot set); the local Lambda service makes
 * that token `local-lambda:<functionName>`, and SDK v3 sends it as `x-amz-security-token`.
 * `undefined` for a request from outside any function (a test, the CLI, the local runtime itself).
 *
 * @example
 * callerOf({ "x-amz-security-token": "local-lambda:poller" }) // "poller"
 */
export function callerOf(headers: IncomingHttpHeaders): string | undefined {
  const token = headers["x-amz-security-token"];
  if (typeof token !== "string" || !token.startsWith(localSessionTokenPrefix)) return undefined;
  const name = token.slice(localSessionTokenPrefix.length);
  return name.length > 0 ? name : undefined;
}
