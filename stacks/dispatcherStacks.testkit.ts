import { rm } from "node:fs/promises";
import { join } from "node:path";
import { defineDispatcher } from "@sqs-dispatcher/config";
import { joinRouteSyncSpec } from "@sqs-dispatcher/functions/runtime/routeSyncSpec";
import { Template } from "aws-cdk-lib/assertions";
import { getStack } from "sst/constructs";
import { afterAll, beforeAll, vi } from "vitest";
import { createAdminApiStack } from "./AdminApi.js";
import { createDispatcherStack } from "./Dispatcher.js";
import { render, resourcesOf, type Statement, synthesizeApp, synthFolder } from "./stackTemplates.testkit.js";

/** Three routes: a FIFO queue, a queue with three alarm tiers, and an imported queue. */
export const registry = defineDispatcher({
  app: "shop",
  functions: {
    record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 30 },
    middyRecord: {
      handler: "packages/functions/src/handlers/middyRecord.handler",
      timeoutSec: 20,
      memoryMb: 512,
    },
  },
  routes: [
    {
      queue: { name: "payments.fifo", maxReceiveCount: 4 },
      function: "record",
      alarms: [{ threshold: 100 }],
    },
    {
      queue: { name: "orders", visibilityTimeoutSec: 120, retentionSec: 86_400 },
      function: "middyRecord",
      maxLoops: 8,
      alarms: [
        { threshold: 100, periodSec: 60, evaluationPeriods: 1 },
        { threshold: 1_000, periodSec: 60, evaluationPeriods: 2, datapointsToAlarm: 2 },
        { threshold: 5_000, periodSec: 120, evaluationPeriods: 3, datapointsToAlarm: 2 },
      ],
    },
    {
      queue: { name: "legacy", arn: "arn:aws:sqs:us-east-1:123456789012:legacy" },
      function: "record",
      alarms: [{ threshold: 50 }],
    },
  ],
  restart: { intervalSec: 90 },
  examples: true,
});

export const Dispatcher = createDispatcherStack(registry);
export const AdminApi = createAdminApiStack(Dispatcher);

/**
 * A second registry on the DynamoDB route store, with a queue imported by name, the route
 * policies (filters that forward or invoke instead of deleting, a rate limit, an age tier), its own
 * handler (no examples) and queues that run-time routes may target by prefix.
 */
export const ledgerRegistry = defineDispatcher({
  app: "ledger",
  // The user's own handler, and no `examples`: nothing of the examples may reach AWS.
  functions: { noop: { handler: "test/fixtures/functions/failOnlyRecord.handler", timeoutSec: 10 } },
  routes: [
    {
      queue: { name: "entries" },
      function: "noop",
      filters: [{ body: { kind: ["entry"] } }],
      onNoMatch: "forward:entries-parked",
      maxRate: 50,
      scaling: { mode: "depth", targetPerLoop: 100, maxAgeSec: 120 },
    },
    {
      queue: { name: "legacy-orders", import: true },
      function: "noop",
      alarms: [{ threshold: 10 }, { metric: "age", threshold: 300 }],
      filters: [{ messageAttributes: { tenant: { stringValue: [{ prefix: "acme-" }] } } }],
      onNoMatch: "invoke:noop",
    },
  ],
  restart: { intervalSec: 20 },
  routeStore: { default: "ssm", stages: { test: "dynamodb" } },
  routableQueues: ["ledger-reports-*"],
});
export const LedgerDispatcher = createDispatcherStack(ledgerRegistry, {
  resetRoutes: true,
  deployId: "ledger-1",
});

/** The templates synthesizeDispatcherStacks sets before the calling file's tests run. */
export let dispatcher: Template;
export let admin: Template;
export let ledger: Template;
/** The account SST's test app synthesizes for (ARNs name it literally). */
export let account = "";
export let ledgerAccount = "";

/**
 * Synthesizes the shop app (Dispatcher and AdminApi) before the calling test file's tests, and the
 * ledger app too unless `ledgerApp` is false; removes the synthesized folder after them.
 */
export function synthesizeDispatcherStacks({ ledgerApp = true }: { ledgerApp?: boolean } = {}): void {
  let outdir = "";

  beforeAll(async () => {
    // The shop stack takes the reset flag from the environment, as `pnpm sst deploy` does.
    vi.stubEnv("DISPATCHER_RESET_ROUTES", "0");
    outdir = await synthFolder("synth-");
    // Bundles every function with esbuild: a handler that does not build fails here.
    await synthesizeApp(outdir, [
      [Dispatcher, "Dispatcher"],
      [AdminApi, "AdminApi"],
    ]);
    dispatcher = Template.fromStack(getStack(Dispatcher));
    admin = Template.fromStack(getStack(AdminApi));
    account = getStack(Dispatcher).account;
    if (!ledgerApp) return;
    // SST wants construct ids unique across an app, so the second registry gets its own app.
    await synthesizeApp(join(outdir, "ledger"), [[LedgerDispatcher, "LedgerDispatcher"]]);
    ledger = Template.fromStack(getStack(LedgerDispatcher));
    ledgerAccount = getStack(LedgerDispatcher).account;
  }, 180_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });
}

/** The logical id of the function whose FunctionName is `name`. */
export function functionId(template: Template, name: string): string {
  const found = Object.entries(resourcesOf(template, "AWS::Lambda::Function")).find(
    ([, r]) => r.Properties?.FunctionName === name,
  );
  if (!found) throw new Error(`no function named ${name}`);
  return found[0];
}

/** Every Allow statement of the policies attached to the role of function `name`. */
export function statementsOf(template: Template, name: string): Statement[] {
  const fn = resourcesOf(template, "AWS::Lambda::Function")[functionId(template, name)];
  const role = (fn?.Properties?.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  return Object.values(resourcesOf(template, "AWS::IAM::Policy"))
    .filter((p) => (p.Properties?.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The route-sync parameters the stack writes (tokens rendered as `${Id}`), by name. */
export function routeSyncParameters(template: Template, app: string): Map<string, string> {
  return new Map(
    Object.values(resourcesOf(template, "AWS::SSM::Parameter"))
      .filter((p) => String(p.Properties?.Name).startsWith(`/${app}/test/route-sync/`))
      .map((p) => [String(p.Properties?.Name), render(p.Properties?.Value)]),
  );
}

/** The deploy's route-sync spec as route-sync would read it from those parameters. */
export function routeSyncSpecOf(template: Template, app: string) {
  const values = routeSyncParameters(template, app);
  const spec = joinRouteSyncSpec(values, [...values.keys()].sort());
  return { ...spec, routes: spec.routes as Record<string, unknown>[] };
}

export const allStatements = () =>
  [dispatcher, admin, ledger].flatMap((t) =>
    Object.values(resourcesOf(t, "AWS::IAM::Policy")).flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
    ),
  );

export const handlerNames = ["shop-test-record", "shop-test-middyRecord"];
export const platformNames = [
  "shop-test-poller",
  "shop-test-restart",
  "shop-test-scale-up",
  "shop-test-scale-down",
  "shop-test-admin-api",
  // The route sync custom resource's function (its ServiceToken: no Provider framework in front).
  "shop-test-route-sync",
];

export function tableId(name: string): string {
  const found = Object.entries(resourcesOf(dispatcher, "AWS::DynamoDB::Table")).find(
    ([, t]) => t.Properties?.TableName === name,
  );
  if (!found) throw new Error(`no table ${name}`);
  return found[0];
}
export const tokensTableId = () => tableId("shop-test-tokens");
