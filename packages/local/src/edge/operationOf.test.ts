import { describe, expect, it } from "vitest";
import { operationOf } from "./operationOf.js";

describe("operationOf", () => {
  it("names the JSON protocols' operations from X-Amz-Target", () => {
    expect(operationOf("POST", "/", { "x-amz-target": "DynamoDB_20120810.UpdateItem" })).toBe("UpdateItem");
  });

  it("names Lambda's REST operations from their paths, the concurrency ones too", () => {
    expect(operationOf("POST", "/2015-03-31/functions/f/invocations", {})).toBe("Invoke");
    expect(operationOf("GET", "/2015-03-31/functions/f/configuration", {})).toBe("GetFunctionConfiguration");
    expect(operationOf("GET", "/2019-09-30/functions/f/concurrency", {})).toBe("GetFunctionConcurrency");
    expect(operationOf("PUT", "/2017-10-31/functions/f/concurrency", {})).toBe("PutFunctionConcurrency");
    expect(operationOf("DELETE", "/2017-10-31/functions/f/concurrency", {})).toBe(
      "DeleteFunctionConcurrency",
    );
  });

  it("cannot tell a query-protocol request by its headers and path", () => {
    expect(operationOf("POST", "/", {})).toBeUndefined();
  });
});
