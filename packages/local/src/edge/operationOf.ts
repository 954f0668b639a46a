import type { IncomingHttpHeaders } from "node:http";

/**
 * The AWS operation a request calls, read from its headers and path only (the body stays
 * unread for the service): `X-Amz-Target` for the JSON protocols, the path for Lambda's
 * REST API and Smithy RPC v2 CBOR. `undefined` when it cannot be told (query protocol).
 */
export function operationOf(
  method: string | undefined,
  url: string | undefined,
  headers: IncomingHttpHeaders,
): string | undefined {
  const target = headers["x-amz-target"];
  if (typeof target === "string") return target.slice(target.lastIndexOf(".") + 1);
  const path = (url ?? "").split("?")[0] ?? "";
  const cbor = /\/operation\/([A-Za-z]+)$/.exec(path);
  if (cbor) return cbor[1];
  if (/^\/2015-03-31\/functions\/[^/]+\/invocations$/.test(path) && method === "POST") return "Invoke";
  if (/^\/2015-03-31\/functions\/?$/.test(path)) return "ListFunctions";
  if (/^\/2015-03-31\/functions\/[^/]+\/configuration$/.test(path)) return "GetFunctionConfiguration";
  if (/^\/2015-03-31\/functions\/[^/]+$/.test(path)) return "GetFunction";
  if (/^\/2016-08-19\/account-settings\/?$/.test(path)) return "GetAccountSettings";
  if (/^\/2019-09-30\/functions\/[^/]+\/concurrency$/.test(path) && method === "GET")
    return "GetFunctionConcurrency";
  if (/^\/2017-10-31\/functions\/[^/]+\/concurrency$/.test(path)) {
    if (method === "PUT") return "PutFunctionConcurrency";
    if (method === "DELETE") return "DeleteFunctionConcurrency";
  }
  return undefined;
}
