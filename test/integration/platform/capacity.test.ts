import { GetAccountSettingsCommand } from "@aws-sdk/client-lambda";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import { CapacityError } from "@sqs-dispatcher/config";
import { createLocalClients, deployLocal, type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRegistry } from "../support/testPlatform.js";

describe("the account's Lambda concurrency on the local cloud", () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, lambdaConcurrency: 50 });
  }, 60_000);
  afterAll(async () => {
    await cloud?.stop();
  });

  it("answers GetAccountSettings with the configured limit", async () => {
    const clients = createLocalClients(cloud);
    const out = await clients.lambda.send(new GetAccountSettingsCommand({}));
    expect(out.AccountLimit).toMatchObject({ ConcurrentExecutions: 50, UnreservedConcurrentExecutions: 50 });
    clients.destroy();
  });

  it("refuses to deploy a registry whose loops and handlers at maxLoops exceed it, writing nothing", async () => {
    const registry = testRegistry({
      routes: [{ queue: { name: "too-big" }, function: "noop", minLoops: 1, maxLoops: 20, concurrency: 4 }],
    });
    const error = await deployLocal(cloud, registry, { scheduler: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapacityError);
    expect((error as Error).message).toMatch(
      /need 100 concurrent executions \(20 loops \+ 80 handler invocations\), above the account's Lambda concurrency of 50; lower maxLoops or concurrency on the largest routes \(too-big 20 × \(1 \+ 4\) = 100\)/,
    );
    const clients = createLocalClients(cloud);
    expect((await clients.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    clients.destroy();
  });
});
