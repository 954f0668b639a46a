import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDispatcher } from "../support/cliHarness.js";

/** The shipped registry: its local poller runs 30 s invocations (wait 3 s, margin 2 s, renew every 5 s, stale after 15 s). */
const config = "dispatcher.config.ts";

let cloud: LocalCloud;
let sqs: SQSClient;

const dispatcher = (...argv: string[]) => runDispatcher({ endpoint: cloud.endpoint, config }, argv);

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  sqs = new SQSClient({
    endpoint: cloud.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  for (const name of ["orders", "audit"]) {
    await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "30" } }));
  }
  expect((await dispatcher("routes", "set", "orders", "--function", "record", "--local")).code).toBe(0);
  expect((await dispatcher("routes", "set", "audit", "--function", "middyRecord", "--local")).code).toBe(0);
});

afterAll(async () => {
  sqs?.destroy();
  await cloud?.stop();
});

describe("routes set refuses a batching window the route's loops cannot keep", () => {
  it("refuses orders --batch-window 16: one batch (3 + 16 + 10 + 2 s) would not fit a 30 s invocation", async () => {
    const run = await dispatcher("routes", "set", "orders", "--batch-window", "16", "--local");
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      "--batch-window: route 'orders': one batch does not fit one poller invocation: waitTimeSec (3s) + batchWindowSec (16s) + the timeout of function 'record' (10s) + marginSec (2s) = 31s > poller timeoutSec (30s); shorten batchWindowSec to at most 15s",
    );
    const shown = await dispatcher("routes", "show", "orders", "--json", "--local");
    expect(JSON.parse(shown.stdout)).toMatchObject({ batchWindowSec: 0 });
  });

  it("refuses audit --batch-window 12: renew 5 + wait 3 + window 12 + margin 2 s reaches the 15 s stale threshold", async () => {
    const run = await dispatcher("routes", "set", "audit", "--batch-window", "12", "--local");
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      "--batch-window: route 'audit': its loops' lease would go stale between renewals: renewEverySec (5s) + waitTimeSec (3s) + batchWindowSec (12s) + marginSec (2s) = 22s, not below restart staleAfterSec (15s); shorten batchWindowSec to at most 4s",
    );
  });

  it("accepts a window that fits both rules", async () => {
    const run = await dispatcher("routes", "set", "audit", "--batch-window", "4", "--local");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });
});
