import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetQueueAttributesCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsCli, awsCli, createZipFunction, zipArgument } from "../support/awsCli.js";
import { type CliRun, runDispatcher } from "../support/cliHarness.js";
import { startTestPlatform, type TestPlatform } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";
import registry from "./externalFunctionsRegistry.js";

let platform: TestPlatform;
let aws: AwsCli;
let scratch: string;
const role = "arn:aws:iam::000000000000:role/billing";
const functionArn = "arn:aws:lambda:us-east-1:000000000000:function:billing-handler";

/** A handler written as Lambda's SQS event source expects: bodies containing `fail` are reported as failures. */
const partialFailures = `export const handler = async (event) => ({
  batchItemFailures: event.Records.filter((r) => r.body.includes("fail")).map((r) => ({ itemIdentifier: r.messageId })),
});`;
/** The next version: every record succeeds. */
const allSucceed = "export const handler = async () => ({ batchItemFailures: [] });";

function dispatcher(...argv: string[]): Promise<CliRun> {
  return runDispatcher(
    { endpoint: platform.cloud.endpoint, config: "test/integration/platform/externalFunctionsRegistry.ts" },
    argv,
  );
}

/** The CLI's `fileb://` argument for a zip of one ES module, `source`. */
const zip = (name: string, source: string) => zipArgument(scratch, name, { "index.mjs": source });

async function createFunction(name: string, source: string, timeoutSec: number): Promise<void> {
  await createZipFunction(
    aws,
    { name, handler: "index.handler", files: { "index.mjs": source }, role, folder: scratch },
    "--timeout",
    String(timeoutSec),
  );
}

/** Creates a queue with a DLQ that takes a message after `maxReceiveCount` receives. */
async function createQueue(name: string, visibilitySec: number): Promise<{ url: string; dlqUrl: string }> {
  const dlq = await aws("sqs", "create-queue", "--queue-name", `${name}-dlq`);
  const dlqUrl = String(dlq.QueueUrl);
  const attrs = await aws(
    "sqs",
    "get-queue-attributes",
    "--queue-url",
    dlqUrl,
    "--attribute-names",
    "QueueArn",
  );
  const dlqArn = (attrs.Attributes as Record<string, string>).QueueArn;
  const path = join(scratch, `${name}-attributes.json`);
  await writeFile(
    path,
    JSON.stringify({
      VisibilityTimeout: String(visibilitySec),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
    }),
  );
  const queue = await aws("sqs", "create-queue", "--queue-name", name, "--attributes", `file://${path}`);
  return { url: String(queue.QueueUrl), dlqUrl };
}

async function send(url: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const out = await platform.deployment.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
      }),
    );
    expect(out.Failed ?? []).toEqual([]);
  }
}

async function counts(url: string): Promise<{ visible: number; inFlight: number; total: number }> {
  const out = await platform.deployment.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const visible = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  return { visible, inFlight, total: visible + inFlight };
}

async function drained(url: string, what: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => (await counts(url)).total === 0, { timeoutMs, description: what });
}

type StatusQueue = {
  loops?: unknown[];
  name: string;
  state: string;
  blockedReason: string | null;
  function: { external: boolean; arn: string | null; reservedConcurrency: number | null } | null;
};

async function statusOf(queue: string): Promise<StatusQueue> {
  const out = await dispatcher("status", queue, "--json");
  expect(out.code, out.stderr).toBe(0);
  const report = JSON.parse(out.stdout) as { queues: StatusQueue[] };
  return report.queues[0]!;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "external-functions-"));
  platform = await startTestPlatform(registry);
  aws = awsCli(platform.cloud.endpoint, scratch);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("a queue routed to a function the platform did not build", () => {
  let byName: { url: string; dlqUrl: string };
  let byArn: { url: string; dlqUrl: string };

  it("drains its successes and dead-letters its failures, routed by name and by ARN", async () => {
    byName = await createQueue("ext-by-name", 3);
    byArn = await createQueue("ext-by-arn", 3);
    await createFunction("billing-handler", partialFailures, 2);
    const setByName = await dispatcher("routes", "set", "ext-by-name", "--function", "billing-handler");
    expect(setByName.code, setByName.stderr).toBe(0);
    const setByArn = await dispatcher("routes", "set", "ext-by-arn", "--function", functionArn);
    expect(setByArn.code, setByArn.stderr).toBe(0);

    const bodies = ["ok-1", "ok-2", "fail-1", "ok-3", "ok-4", "fail-2", "ok-5", "ok-6"];
    await send(byName.url, bodies);
    await send(byArn.url, bodies);
    await drained(byName.url, "the by-name queue drained");
    await drained(byArn.url, "the by-arn queue drained");
    expect((await counts(byName.dlqUrl)).total).toBe(2);
    expect((await counts(byArn.dlqUrl)).total).toBe(2);

    const status = await statusOf("ext-by-arn");
    expect(status.state).toBe("active");
    expect(status.function).toMatchObject({ external: true, arn: functionArn });
  });

  it("runs the new code on the next batches after update-function-code", async () => {
    await aws(
      "lambda",
      "update-function-code",
      "--function-name",
      "billing-handler",
      "--zip-file",
      await zip("billing-v2", allSucceed),
    );
    // The first version would fail these and dead-letter them; the new one succeeds.
    await send(byName.url, ["fail-after-update-1", "fail-after-update-2", "fail-after-update-3"]);
    await drained(byName.url, "the messages sent after the update drained");
    expect((await counts(byName.dlqUrl)).total).toBe(2);
  });

  it("shows the route blocked while the function is deleted, dead-letters nothing, and drains once it is back", async () => {
    await aws("lambda", "delete-function", "--function-name", "billing-handler");
    await waitFor(
      async () => {
        const s = await statusOf("ext-by-name");
        return s.state === "blocked" && s.blockedReason?.includes("function-not-found");
      },
      { timeoutMs: 30_000, description: "ext-by-name blocked: function-not-found" },
    );
    const text = await dispatcher("status", "ext-by-name");
    expect(text.stdout).toContain("blocked: function-not-found");
    await send(byName.url, ["while-gone-1", "fail-while-gone-2", "while-gone-3", "fail-while-gone-4"]);
    // A blocked loop receives nothing: the messages wait, visible, with no receive used up.
    await waitFor(async () => (await counts(byName.url)).visible === 4, {
      timeoutMs: 10_000,
      description: "the 4 messages wait visible",
    });
    await createFunction("billing-handler", allSucceed, 2);
    await drained(byName.url, "the messages sent while the function was gone drained");
    expect((await counts(byName.dlqUrl)).total).toBe(2);
    await waitFor(async () => (await statusOf("ext-by-name")).state === "active", {
      timeoutMs: 30_000,
      description: "ext-by-name active again",
    });
  });

  it("keeps every message through a reserved concurrency of 1 shared by two routes, and status shows it", async () => {
    await aws(
      "lambda",
      "put-function-concurrency",
      "--function-name",
      "billing-handler",
      "--reserved-concurrent-executions",
      "1",
    );
    await waitFor(async () => (await statusOf("ext-by-name")).function?.reservedConcurrency === 1, {
      timeoutMs: 15_000,
      description: "status shows reserved concurrency 1",
    });
    expect((await dispatcher("status")).stdout).toMatch(/ext-by-name .*reserved 1/);
    const many = Array.from({ length: 40 }, (_, i) => `throttled-${i}`);
    await send(byName.url, many);
    await send(byArn.url, many);
    await drained(byName.url, "ext-by-name drained through the throttle", 90_000);
    await drained(byArn.url, "ext-by-arn drained through the throttle", 90_000);
    expect((await counts(byName.dlqUrl)).total).toBe(2);
    expect((await counts(byArn.dlqUrl)).total).toBe(2);
    // Whether the two routes' invokes overlap (and Lambda refuses one) is the machine's timing, so it
    // is not asserted here: whatever refusals there were cost no message (only the two that fail by
    // design are in each DLQ). throttledHandler.test.ts drives refusals on purpose.
  });
});

describe("a function the poller's role may not invoke", () => {
  it("shows the route blocked: access-denied with the add-permission hint, and dead-letters nothing", async () => {
    const outside = await createQueue("ext-outside", 3);
    await createFunction("outsider", partialFailures, 2);
    // Locally any function may be routed; the stack's IAM (enforced here) lets the poller invoke none outside routableFunctions.
    const set = await dispatcher("routes", "set", "ext-outside", "--function", "outsider");
    expect(set.code, set.stderr).toBe(0);
    await send(outside.url, ["fail-denied-1", "denied-2", "fail-denied-3"]);
    await waitFor(
      async () => {
        const s = await statusOf("ext-outside");
        return s.state === "blocked" && s.blockedReason?.startsWith("access-denied");
      },
      { timeoutMs: 45_000, description: "ext-outside blocked: access-denied" },
    );
    const text = await dispatcher("status", "ext-outside");
    expect(text.stdout).toContain("aws lambda add-permission --function-name");
    expect(text.stdout).toContain("--action lambda:InvokeFunction --statement-id sqs-dispatcher");
    expect((await counts(outside.dlqUrl)).total).toBe(0);
    expect((await counts(outside.url)).total).toBe(3);
  });
});

describe("the function's timeout and the queue's visibility timeout", () => {
  it("routes set refuses a function whose timeout does not fit, naming both numbers", async () => {
    await createQueue("ext-slow", 5);
    await createFunction("slowpoke", allSucceed, 10);
    const refused = await dispatcher("routes", "set", "ext-slow", "--function", "slowpoke");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "queue visibility timeout (5s) must be at least the timeout of function 'slowpoke' (10s)",
    );
  });

  it("notices a timeout raised afterwards within the cache TTL: the route shows why it is blocked", async () => {
    await createFunction("growing", allSucceed, 2);
    const set = await dispatcher("routes", "set", "ext-slow", "--function", "growing");
    expect(set.code, set.stderr).toBe(0);
    await waitFor(async () => (await statusOf("ext-slow")).loops?.length !== 0, {
      timeoutMs: 30_000,
      description: "ext-slow has a loop",
    }).catch(() => undefined);
    await aws("lambda", "update-function-configuration", "--function-name", "growing", "--timeout", "8");
    const blocked = await waitFor(
      async () => {
        const s = await statusOf("ext-slow");
        return s.state === "blocked" && s.blockedReason;
      },
      { timeoutMs: 30_000, description: "ext-slow blocked by the raised timeout" },
    );
    expect(blocked).toContain("function-timeout");
    expect(blocked).toContain("(5s)");
    expect(blocked).toContain("(8s)");
  });
});
