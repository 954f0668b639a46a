import { mkdir, mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import type { Template } from "aws-cdk-lib/assertions";
import { App } from "sst/constructs";
import type { FunctionalStack } from "sst/constructs/FunctionalStack.js";
import { initProject } from "sst/project.js";
import { useSstOutputFolder } from "./sstOutputFolder.js";

/** A synthesized resource of a template. */
export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
/** One IAM policy statement. */
export type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/**
 * A fresh folder under `.sst/` for one test file's synthesized apps, with the SST project set up
 * for stage `test` (the caller removes the folder when done). SST writes an app's generated types
 * and its function bundles under the project's out folder, deleting them first, keyed by construct
 * path: test files that synthesize the same stacks at once would delete each other's, so each
 * file's project writes them inside its own folder.
 */
export async function synthFolder(prefix: string): Promise<string> {
  await initProject({ stage: "test" });
  await mkdir(join(process.cwd(), ".sst"), { recursive: true });
  const folder = await mkdtemp(join(process.cwd(), ".sst", prefix));
  useSstOutputFolder(folder);
  return folder;
}

/**
 * Synthesizes `stacks` in one SST app (mode deploy, stage test, us-east-1) into `outdir`. Every
 * function is bundled with esbuild: a handler that does not build fails here.
 */
export async function synthesizeApp(
  outdir: string,
  stacks: readonly [stack: FunctionalStack<unknown>, id: string][],
): Promise<void> {
  const app = new App(
    { mode: "deploy", stage: "test", name: "sqs-dispatcher", region: "us-east-1" },
    { outdir },
  );
  for (const [stack, id] of stacks) app.stack(stack, { id });
  await app.finish();
}

export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

export const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOfStatement = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** Renders an ARN (possibly an Fn::Join/Ref/GetAtt/ImportValue) into comparable text. */
export function render(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if ("Fn::Join" in v) {
      const [sep, parts] = v["Fn::Join"] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    if ("Ref" in v) return `\${${v.Ref as string}}`;
    if ("Fn::GetAtt" in v) return `\${${(v["Fn::GetAtt"] as string[]).join(".")}}`;
    if ("Fn::ImportValue" in v) return `\${import:${render(v["Fn::ImportValue"])}}`;
  }
  return JSON.stringify(value);
}
