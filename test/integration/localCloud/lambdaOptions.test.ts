/**
 * The Lambda service's tunables (idle expiry, async retry delays, account concurrency, close),
 * which the local cloud leaves at their defaults: the service is mounted on its own loopback
 * server here so each test can choose them, and driven with the SDK v3 client as through the edge.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { silentLogger } from "@sqs-dispatcher/core";
import { createLambdaService, type LambdaService, type LambdaServiceOptions } from "@sqs-dispatcher/local";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

const fixtures = "test/fixtures/functions";

interface Harness {
  service: LambdaService;
  client: LambdaClient;
  stop(): Promise<void>;
}

const running: Harness[] = [];

async function startService(extra: Partial<LambdaServiceOptions>): Promise<Harness> {
  let endpoint = "";
  const service = createLambdaService({
    endpoint: () => endpoint,
    region: "us-east-1",
    accountId: "000000000000",
    logger: silentLogger,
    ...extra,
  });
  const server: Server = createServer((req, res) => void service.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new LambdaClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  const harness: Harness = {
    service,
    client,
    async stop() {
      client.destroy();
      await service.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  running.push(harness);
  return harness;
}

/** Waits until `condition` holds, checking every 25 ms for up to 20 s. */
const until = (condition: () => boolean, what: string) =>
  waitFor(condition, { timeoutMs: 20_000, intervalMs: 25, description: what });

afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

describe("Lambda service options", () => {
  it("discards an idle environment after environmentIdleMs", async () => {
    const { service, client } = await startService({ environmentIdleMs: 300 });
    await service.register({ name: "echo", handler: `${fixtures}/basic.echo`, timeoutSec: 3, memoryMb: 128 });
    await client.send(new InvokeCommand({ FunctionName: "echo", Payload: "{}" }));
    expect(service.stats("echo").environmentsAlive).toBe(1);
    await until(() => service.stats("echo").environmentsAlive === 0, "the idle environment to expire");
    const again = await client.send(new InvokeCommand({ FunctionName: "echo", Payload: "{}" }));
    expect(again.FunctionError).toBeUndefined();
    expect(service.stats("echo").coldStarts).toBe(2);
  });

  it("retries a failed async event after the configured delays", async () => {
    const { service, client } = await startService({ asyncRetryDelaysMs: [20, 20, 20] });
    await service.register({
      name: "failing",
      handler: `${fixtures}/basic.fail`,
      timeoutSec: 3,
      memoryMb: 128,
    });
    await client.send(new InvokeCommand({ FunctionName: "failing", InvocationType: "Event", Payload: "{}" }));
    await until(() => service.stats("failing").asyncDropped === 1, "the event to be dropped");
    expect(service.stats("failing")).toMatchObject({ invocations: 4, asyncRetries: 3, errors: 4 });
  });

  it("throttles beyond maxConcurrency across functions", async () => {
    const { service, client } = await startService({ maxConcurrency: 1 });
    await Promise.all([
      service.register({ name: "a", handler: `${fixtures}/basic.sleep`, timeoutSec: 3, memoryMb: 128 }),
      service.register({ name: "b", handler: `${fixtures}/basic.sleep`, timeoutSec: 3, memoryMb: 128 }),
    ]);
    const results = await Promise.allSettled(
      ["a", "b"].map((name) =>
        client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ ms: 1000 }) })),
      ),
    );
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toMatchObject({
      name: "TooManyRequestsException",
      Reason: "ConcurrentInvocationLimitExceeded",
    });
  });

  it("close() terminates running environments and refuses new requests", async () => {
    const harness = await startService({});
    const { service, client } = harness;
    await service.register({
      name: "slow",
      handler: `${fixtures}/basic.sleep`,
      timeoutSec: 30,
      memoryMb: 128,
    });
    await client.send(
      new InvokeCommand({
        FunctionName: "slow",
        InvocationType: "Event",
        Payload: JSON.stringify({ ms: 20_000 }),
      }),
    );
    await until(() => service.stats("slow").busy === 1, "the event to start");
    await service.close();
    expect(service.stats("slow")).toMatchObject({ environmentsAlive: 0, busy: 0 });
    const error = await client
      .send(new InvokeCommand({ FunctionName: "slow", Payload: JSON.stringify({ ms: 1 }) }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ServiceException", $metadata: { httpStatusCode: 503 } });
  });
});
