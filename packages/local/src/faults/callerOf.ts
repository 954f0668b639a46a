import type { IncomingHttpHeaders } from "node:http";

/**
 * The Lambda function a request was made from, read from the SDK's User-Agent: the local Lambda
 * service sets `AWS_SDK_UA_APP_ID=<functionName>` in each function's environment, and SDK v3
 * appends it as `app/<id>`, in `user-agent` on Node (`x-amz-user-agent` there carries only
 * `aws-sdk-js/<version>`) and in `x-amz-user-agent` in browsers. `undefined` for a request from
 * outside any function (a test, the CLI, the local runtime itself).
 *
 * @example
 * callerOf({ "user-agent": "aws-sdk-js/3.1168.0 ua/2.1 ... m/N,E,P,e app/poller" }) // "poller"
 */
export function callerOf(headers: IncomingHttpHeaders): string | undefined {
  for (const name of ["user-agent", "x-amz-user-agent"] as const) {
    const value = headers[name];
    if (typeof value !== "string") continue;
    for (const section of value.split(" ")) {
      if (section.startsWith("app/") && section.length > "app/".length) return section.slice("app/".length);
    }
  }
  return undefined;
}
