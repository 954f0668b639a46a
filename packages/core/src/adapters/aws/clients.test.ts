import { describe, expect, it } from "vitest";
import { createAwsClients, recursionDetectionMiddlewareName } from "./clients.js";

describe("createAwsClients", () => {
  it("keeps handler invocations outside the poller's recursive chain, but not the self-invoke", () => {
    const clients = createAwsClients({ region: "us-east-1", endpoint: "http://127.0.0.1:1" });
    const names = (c: { middlewareStack: { identify(): string[] } }) =>
      c.middlewareStack.identify().map((entry) => entry.split(" ")[0]);
    expect(names(clients.lambda)).toContain(recursionDetectionMiddlewareName);
    expect(names(clients.handlerLambda)).not.toContain(recursionDetectionMiddlewareName);
  });
});
