import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type AwsClients,
  createAwsClients,
  createCloudWatchClient,
  recursionDetectionMiddlewareName,
} from "./clients.js";

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

describe("createAwsClients against an endpoint that never answers", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** What a call came to: its error, or "hung" when it neither answered nor failed by `guardMs`. */
  async function outcome(call: Promise<unknown>, guardMs: number): Promise<unknown> {
    let guard: NodeJS.Timeout | undefined;
    const hung = new Promise((resolve) => {
      guard = setTimeout(() => resolve("hung"), guardMs);
    });
    try {
      return await Promise.race([
        call.then(
          () => "answered",
          (error: unknown) => error,
        ),
        hung,
      ]);
    } finally {
      clearTimeout(guard);
    }
  }

  it.each([
    ["dynamodb", (c: AwsClients) => c.dynamodb.send(new GetItemCommand({ TableName: "t", Key: {} }))],
    ["sqs", (c: AwsClients) => c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl }))],
    ["lambda", (c: AwsClients) => c.lambda.send(new InvokeCommand({ FunctionName: "poller" }))],
    ["handlerLambda", (c: AwsClients) => c.handlerLambda.send(new InvokeCommand({ FunctionName: "h" }))],
  ] as const)(
    "fails a %s call with a TimeoutError once its request timeout passes",
    async (client, call) => {
      vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
      // Accepts every request and never answers: a half-open connection.
      server = createServer(() => {});
      await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const clients = createAwsClients({
        region: "us-east-1",
        endpoint,
        maxAttempts: 1,
        requestTimeoutMs: { [client]: 300 },
      });
      try {
        // The guard is far beyond the timeout: without one that throws, the call would hang for ever.
        const result = await outcome(call(clients), 10_000);
        expect(result).toMatchObject({
          name: "TimeoutError",
          message: expect.stringMatching(/300 ms requestTimeout/),
        });
      } finally {
        for (const c of [clients.dynamodb, clients.sqs, clients.lambda, clients.handlerLambda]) c.destroy();
      }
    },
    20_000,
  );

  it("fails a CloudWatch call (restart's depth reads, the scale functions' alarm checks) once its request timeout passes", async () => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
    server = createServer(() => {});
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cloudwatch = createCloudWatchClient({
      region: "us-east-1",
      endpoint,
      maxAttempts: 1,
      requestTimeoutMs: 300,
    });
    try {
      const result = await outcome(cloudwatch.send(new DescribeAlarmsCommand({})), 10_000);
      expect(result).toMatchObject({
        name: "TimeoutError",
        message: expect.stringMatching(/300 ms requestTimeout/),
      });
    } finally {
      cloudwatch.destroy();
    }
  }, 20_000);
});

const queueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
