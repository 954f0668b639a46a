import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { routeParameterPath } from "@sqs-dispatcher/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runDispatcher } from "../support/cliHarness.js";
import { startTestPlatform, type TestPlatform } from "../support/testPlatform.js";
import { holdsFor, waitFor } from "../support/waitFor.js";
import registry from "./loopLimitsRegistry.js";

const config = "test/integration/platform/loopLimitsRegistry.ts";
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform(registry);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

const dispatcher = (...argv: string[]): Promise<CliRun> =>
  runDispatcher({ endpoint: platform.cloud.endpoint, config }, argv);
const loops = async () => (await platform.tokens(platform.queueUrl("capped"))).length;

describe("a stored route past the registry's loop limits", () => {
  it("starts at most limits.maxLoopsPerRoute loops for minLoops 5000, and status flags the clamp", async () => {
    await waitFor(async () => (await loops()) === 1, { timeoutMs: 20_000, description: "minLoops 1" });
    // Written behind the CLI's back, as anyone with ssm:PutParameter on the path (or a forged sync) could.
    await platform.deployment.clients.ssm.send(
      new PutParameterCommand({
        Name: `${routeParameterPath("itest", "local")}capped`,
        Type: "String",
        Overwrite: true,
        Value: JSON.stringify({
          queueName: "capped",
          queueUrl: platform.queueUrl("capped"),
          functionName: "noop",
          minLoops: 5_000,
          maxLoops: 5_000,
          scaleStep: 5_000,
          source: "edit",
          updatedAt: Date.now(),
        }),
      }),
    );
    await waitFor(async () => (await loops()) === 3, {
      timeoutMs: 30_000,
      description: "restart to start the clamped minLoops",
    });
    await holdsFor(async () => (await loops()) === 3, 3_000, "the count to stay at the limit");

    const status = await dispatcher("status", "--json");
    expect(status.code).toBe(0);
    const queue = (
      JSON.parse(status.stdout) as { queues: { name: string; clamped: string | null }[] }
    ).queues.find((q) => q.name === "capped");
    expect(queue?.clamped).toBe("clamped: maxLoops 5000 > 3 (limits.maxLoopsPerRoute); minLoops 5000 > 3");
    const table = await dispatcher("status");
    expect(table.stdout).toContain("clamped: maxLoops 5000 > 3");

    // The scale action holds to the clamp too.
    const scaled = await dispatcher("scale", "capped", "--loops", "10");
    expect(scaled.code).toBe(2);
    expect(scaled.stderr).toContain("outside the route's bounds 3-3 (clamped:");
  });
});
