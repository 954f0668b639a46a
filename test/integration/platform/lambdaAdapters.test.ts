import { LambdaClient } from "@aws-sdk/client-lambda";
import type { LogFields, Logger } from "@sqs-dispatcher/core";
import { createLambdaFunctionInvoker, createLambdaLoopStarter } from "@sqs-dispatcher/core/aws";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/waitFor.js";

// The Lambda adapters' happy paths against the local Lambda service (the mocked unit tests cover only error translation).
const fixtures = "test/fixtures/functions";
const logLines: Array<{ message: string; fields: LogFields | undefined }> = [];
const capture = (message: string, fields?: LogFields) => void logLines.push({ message, fields });
const capturingLogger: Logger = { debug: capture, info: capture, warn: capture, error: capture };

let cloud: LocalCloud;
let lambda: LambdaClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, logger: capturingLogger });
  lambda = new LambdaClient({
    endpoint: cloud.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  await Promise.all(
    ["handler-echo", "poller-echo"].map((name) =>
      cloud.lambda.register({ name, handler: `${fixtures}/basic.echo`, timeoutSec: 3, memoryMb: 128 }),
    ),
  );
});

afterAll(async () => {
  lambda?.destroy();
  await cloud?.stop();
});

describe("Lambda adapters against the local cloud", () => {
  it("the function invoker invokes synchronously, sends the batch as is and parses the JSON payload", async () => {
    const batch = { Records: [{ messageId: "m1", body: "b" }] };
    const result = await createLambdaFunctionInvoker(lambda).invoke("handler-echo", JSON.stringify(batch));
    expect(result.functionError).toBeUndefined();
    // Only a RequestResponse invocation hands the handler's return value back.
    expect(result.payload).toMatchObject({ event: batch, context: { functionName: "handler-echo" } });
  });

  it("the function invoker's DryRun probe passes for a function and names a missing one as not found", async () => {
    const invoker = createLambdaFunctionInvoker(lambda);
    await expect(invoker.probe("handler-echo")).resolves.toBeUndefined();
    await expect(invoker.probe("no-such-function")).rejects.toMatchObject({
      name: "HandlerNotRunError",
      reason: "function-not-found",
    });
  });

  it("the function invoker reports a request over 6 MB as not run (payload too large), not as a handler failure", async () => {
    const tooLarge = JSON.stringify({ Records: [{ messageId: "m1", body: "x".repeat(6_300_000) }] });
    await expect(createLambdaFunctionInvoker(lambda).invoke("handler-echo", tooLarge)).rejects.toMatchObject({
      name: "HandlerNotRunError",
      reason: "payload-too-large",
    });
  });

  it("the loop starter invokes the poller asynchronously with exactly the loop event", async () => {
    const event = { queueUrl: "u", token: "t", loopId: "l" };
    await createLambdaLoopStarter(lambda, "poller-echo").start(event);
    const seen = await waitFor(
      () => {
        const line = logLines.find(
          (l) => l.message.includes("echo invoked") && l.fields?.["functionName"] === "poller-echo",
        );
        if (!line) throw new Error(`not yet; stats ${JSON.stringify(cloud.lambda.stats("poller-echo"))}`);
        return line;
      },
      { timeoutMs: 15_000, intervalMs: 50, description: "poller-echo to run" },
    );
    expect(JSON.parse(seen.message.slice(seen.message.indexOf("{")))).toEqual(event);
    expect(cloud.lambda.stats("poller-echo")).toMatchObject({ invocations: 1, errors: 0 });
  });
});
