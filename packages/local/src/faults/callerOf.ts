import type { IncomingHttpHeaders } from "node:http";

/**
 * Powertools for AWS Lambda appends `/PT/NO-OP/<version>/PTEnv/<AWS_EXECUTION_ENV>` to
 * `AWS_SDK_UA_APP_ID` when it loads, and the SDK escapes the `/` to `-`.
 */
const powertoolsSuffix = /-PT-\S*-PTEnv-\S*$/;

/**
 * The Lambda function a request was made from, read from the SDK's User-Agent: the local Lambda
 * service sets `AWS_SDK_UA_APP_ID=<functionName>` in each function's environment, and SDK v3
 * appends it as `app/<id>`, in `user-agent` on Node (`x-amz-user-agent` there carries only
 * `aws-sdk-js/<version>`) and in `x-amz-user-agent` in browsers. In a function that loads
 * Powertools the id carries Powertools' suffix, which is cut off. `undefined` for a request from
 * outside any function (a test, the CLI, the local runtime itself).
 *
 * @example
 * callerOf({ "user-agent": "aws-sdk-js/3.1169.0 ua/2.1 ... app/poller-PT-NO-OP-2.35.0-PTEnv-AWS_Lambda_nodejs20.x" })
 * // "poller"
 */
export function callerOf(headers: IncomingHttpHeaders): string | undefined {
  for (const name of ["user-agent", "x-amz-user-agent"] as const) {
    const value = headers[name];
    if (typeof value !== "string") continue;
    for (const section of value.split(" ")) {
      if (!section.startsWith("app/")) continue;
      const appId = section.slice("app/".length).replace(powertoolsSuffix, "");
      if (appId.length > 0) return appId;
    }
  }
  return undefined;
}
