import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import { deployLocal } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDispatcher } from "../support/cliHarness.js";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";

const registry = testRegistry({
  routes: [{ queue: { name: "rd-orders", visibilityTimeoutSec: 30 }, function: "record", maxLoops: 2 }],
});
let platform: TestPlatform;

/** `routes set` through the CLI in process; the acceptance registry has the same app and functions. */
async function routesSet(...argv: string[]): Promise<number> {
  const config = "test/integration/cli/cliAcceptanceRegistry.ts";
  return (await runDispatcher({ endpoint: platform.cloud.endpoint, config }, ["routes", "set", ...argv]))
    .code;
}

/** Deploys the registry again on the same cloud, as a second `pnpm dev` or a redeploy would. */
async function redeploy(
  options: { registry?: typeof registry; resetRoutes?: boolean } = {},
): Promise<string[]> {
  const deployment = await deployLocal(platform.cloud, options.registry ?? registry, {
    scheduler: false,
    resetRoutes: options.resetRoutes,
  });
  await deployment.stop();
  return deployment.report;
}

beforeAll(async () => {
  platform = await startTestPlatform(registry, { scheduler: false });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

describe("a redeploy and run-time route edits", () => {
  const store = () => platform.deployment.routesStore;

  it("a deploy writes registry routes as source 'deploy'", async () => {
    expect(await store().get("rd-orders")).toMatchObject({
      functionName: "record",
      source: "deploy",
      maxLoops: 2,
    });
  });

  it("keeps a run-time edit and says so, unless forced with resetRoutes", async () => {
    expect(await routesSet("rd-orders", "--function", "noop", "--max-loops", "3")).toBe(0);
    const report = await redeploy();
    expect(report.join("\n")).toMatch(/rd-orders: kept the run-time edit/);
    expect(await store().get("rd-orders")).toMatchObject({
      functionName: "noop",
      maxLoops: 3,
      source: "edit",
    });

    await redeploy({ resetRoutes: true });
    expect(await store().get("rd-orders")).toMatchObject({
      functionName: "record",
      maxLoops: 2,
      source: "deploy",
    });
  }, 60_000);

  it("deletes a deployed route the registry dropped, keeps a queue routed at run time", async () => {
    await platform.deployment.clients.sqs.send(new CreateQueueCommand({ QueueName: "rd-adhoc" }));
    expect(await routesSet("rd-adhoc", "--function", "record")).toBe(0);
    await redeploy({ registry: testRegistry({ routes: [] }) });
    expect(await store().get("rd-orders")).toBeUndefined();
    expect(await store().get("rd-adhoc")).toMatchObject({ source: "edit" });
  }, 60_000);
});
