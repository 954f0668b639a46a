import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Registry, RolePolicies, RouteStoreKind } from "@sqs-dispatcher/config";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import { createDispatcherStack } from "./Dispatcher.js";
import { rolePoliciesOf } from "./rolePolicies.js";
import { useSstOutputFolder } from "./sstOutputFolder.js";

/** What the local cloud deploys a registry as: the stage, route store, account and region it uses. */
export interface LocalSynthTarget {
  readonly stage: string;
  readonly routeStore: RouteStoreKind;
  readonly region: string;
  readonly accountId: string;
  /**
   * `dev` (the default) synthesizes without bundling the functions; `deploy` bundles every function
   * as `sst deploy` does. The role policies are the same in both (stacks/rolePolicies.test.ts checks it).
   */
  readonly mode?: "dev" | "deploy";
}

/**
 * The registry as the local cloud deploys it, for the stack: the route store the local deploy uses, and
 * the example handlers allowed (the local cloud always runs them, with the `processed` table).
 */
export function localStackRegistry(registry: Registry, routeStore: RouteStoreKind): Registry {
  return { ...registry, examples: true, routeStore: { default: routeStore, stages: {} } };
}

/**
 * Synthesizes the Dispatcher stack for `registry` offline and returns every named function's role
 * policies with the intrinsics resolved to `target`'s account and region. Must run with
 * `NODE_ENV=test` (SST then adds none of the `sst dev` bridge's own grants) and from the project root.
 */
export async function synthesizeRolePolicies(
  registry: Registry,
  target: LocalSynthTarget,
): Promise<Record<string, RolePolicies>> {
  await initProject({ stage: target.stage });
  const root = join(process.cwd(), ".sst");
  await mkdir(root, { recursive: true });
  const outdir = await mkdtemp(join(root, "iam-synth-"));
  // Its own types and bundles folder: a synthesis beside another (a test file's) never races on it.
  useSstOutputFolder(outdir);
  try {
    const app = new App(
      { mode: target.mode ?? "dev", stage: target.stage, name: "sqs-dispatcher", region: target.region },
      { outdir },
    );
    const Dispatcher = createDispatcherStack(localStackRegistry(registry, target.routeStore), {
      resetRoutes: false,
      deployId: "local",
      checkCapacity: false,
    });
    app.stack(Dispatcher, { id: "Dispatcher" });
    await app.finish();
    const stack = getStack(Dispatcher);
    const template = app.synth().getStackByName(stack.stackName).template;
    return rolePoliciesOf(template, {
      partition: "aws",
      region: target.region,
      accountId: target.accountId,
      synthesizedAccountId: stack.account,
      stackName: stack.stackName,
    });
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** Input of the command line below, as JSON on stdin. */
interface SynthRequest {
  registry: Registry;
  target: LocalSynthTarget;
}

// `tsx stacks/synthRolePolicies.ts < request.json`: the local cloud runs this in a child process
// (SST keeps global project state and CDK is heavy), and reads the policies as JSON from stdout.
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as SynthRequest;
  // Console output of SST and CDK must not mix with the JSON on stdout.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const policies = await synthesizeRolePolicies(request.registry, request.target);
  write(`${JSON.stringify(policies)}\n`);
}
