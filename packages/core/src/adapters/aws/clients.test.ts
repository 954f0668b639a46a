import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAwsClients, recursionDetectionMiddlewareName } from "./clients.js";

describe("createAwsClients", () => {
  it("keeps handler invocations outside the poller's recursive chain, but not the self-invoke", () => {
    const clients = createAwsClients({ region: "us-east-1", endpoint: "http://127.0.0.1:1" });
    const names = (c: { middlewareStack: { identify(): string[] } }) =>
      c.middlewareStack.identify().map((entry) => entry.split(" ")[0]);
    expect(names(clients.lambda)).toContain(recursionDetectionMiddlewareName);
    expect(names(clients.handlerLambda)).not.toContain(recursionDetectionMiddlewareName);
  });

  afterEach(() => vi.unstubAllEnvs());

  it("sends SQS requests to the region's endpoint, never to the host a queue URL names", async () => {
    // Any credentials: the request is stopped after signing, before the network.
    vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
    const clients = createAwsClients({ region: "us-east-1", maxAttempts: 1 });
    let host: string | undefined;
    // Captures where the request would go, and stops it before any network.
    clients.sqs.middlewareStack.add(
      (_next) => async (args) => {
        host = (args.request as { hostname?: string }).hostname;
        throw Object.assign(new Error("captured"), { name: "Captured" });
      },
      { step: "finalizeRequest", priority: "low" },
    );
    const sent = clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: "https://attacker.example/123456789012/orders" }),
    );
    await expect(sent).rejects.toMatchObject({ name: "Captured" });
    expect(host).toBe("sqs.us-east-1.amazonaws.com");
    clients.sqs.destroy();
  });
});
