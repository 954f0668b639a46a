import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  awsResourceName,
  PlatformFunction,
  type PolicyStatement,
  type Registry,
  type RolePolicies,
  type RouteStoreKind,
} from "@sqs-dispatcher/config";
import { DispatcherError } from "@sqs-dispatcher/core";
import type { LocalRolePolicies } from "./rolePolicy.js";

/** What the local deploy synthesizes the stack for. */
export interface StackPolicyTarget {
  readonly registry: Registry;
  readonly stage: string;
  readonly routeStore: RouteStoreKind;
  readonly region: string;
  readonly accountId: string;
  /** The repository root (holds stacks/ and packages/config/). */
  readonly projectRoot: string;
  /** Local names of the deploy's tables, by the stack's logical name (`tokens`, `processed`, ...). */
  readonly tables: Readonly<Record<string, string>>;
}

/** Synthesizing the stack for the local cloud's policies failed. */
export class StackPolicySynthesisError extends DispatcherError {
  override readonly name = "StackPolicySynthesisError";
}

/** As `stacks/rolePolicies.ts` writes them, keyed by physical function name. */
type SynthesizedPolicies = Record<string, RolePolicies>;

/** Sources whose change can change a synthesized policy: the stacks and the registry's schema and rules. */
const sourceDirs = ["stacks", "packages/config/src"];

async function sourceHash(projectRoot: string, input: unknown): Promise<string> {
  const hash = createHash("sha256");
  for (const dir of sourceDirs) {
    const files = (await readdir(path.join(projectRoot, dir), { recursive: true }))
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .sort();
    for (const file of files) {
      hash.update(file);
      hash.update(await readFile(path.join(projectRoot, dir, file)));
    }
  }
  hash.update(JSON.stringify(input));
  return hash.digest("hex").slice(0, 32);
}

/**
 * The role policies of the registry's functions as the SST stack synthesizes them, renamed to the
 * local deploy's names (`<app>-<stage>-poller` → `poller`, `<app>-<stage>-tokens` → the local table).
 * Synthesis runs offline in a child process (`stacks/synthRolePolicies.ts`, ~10 s: no function is
 * bundled) and is cached in `.dispatcher/iam/` under a hash of the stacks, the config package, the
 * registry and the target: any change to any of them synthesizes again, so the policies cannot drift.
 */
export async function loadStackRolePolicies(target: StackPolicyTarget): Promise<LocalRolePolicies> {
  const request = {
    registry: target.registry,
    target: {
      stage: target.stage,
      routeStore: target.routeStore,
      region: target.region,
      accountId: target.accountId,
    },
  };
  const cacheDir = path.join(target.projectRoot, ".dispatcher", "iam");
  const cacheFile = path.join(cacheDir, `${await sourceHash(target.projectRoot, request)}.json`);
  let synthesized: SynthesizedPolicies;
  try {
    synthesized = JSON.parse(await readFile(cacheFile, "utf8")) as SynthesizedPolicies;
  } catch {
    synthesized = await synthesize(target.projectRoot, request);
    await mkdir(cacheDir, { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.${Date.now()}`;
    await writeFile(temporary, JSON.stringify(synthesized));
    await rename(temporary, cacheFile);
  }
  return localizePolicies(synthesized, target);
}

function synthesize(projectRoot: string, request: unknown): Promise<SynthesizedPolicies> {
  return new Promise((resolve, reject) => {
    const { DISPATCHER_ACCOUNT_CONCURRENCY: _, ...env } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", "stacks/synthRolePolicies.ts"], {
      cwd: projectRoot,
      // SST adds no `sst dev` bridge grants under test; the local deploy checked capacity already.
      env: { ...env, NODE_ENV: "test" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        const tail = Buffer.concat(err).toString("utf8").trim().split("\n").slice(-15).join("\n");
        reject(
          new StackPolicySynthesisError(
            `synthesizing the stack's role policies failed (exit ${code}):\n${tail}`,
          ),
        );
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString("utf8")) as SynthesizedPolicies);
      } catch (error) {
        reject(new StackPolicySynthesisError("the stack's role policies are not JSON", {}, { cause: error }));
      }
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/**
 * The synthesized policies under local names: functions keyed by their local name (the registry's
 * and the platform's; the stack's own deploy-time functions are left out), and function and table
 * ARNs in every statement renamed as the local deploy names them. Queues, topics, alarms and SSM
 * parameters keep their names: the local deploy uses the stack's.
 */
export function localizePolicies(
  synthesized: SynthesizedPolicies,
  target: StackPolicyTarget,
): LocalRolePolicies {
  const { app } = target.registry;
  const functionNames = new Map<string, string>();
  for (const name of [...Object.keys(target.registry.functions), ...Object.values(PlatformFunction)]) {
    functionNames.set(awsResourceName(app, target.stage, name), name);
  }
  const tableNames = new Map<string, string>();
  for (const [logical, local] of Object.entries(target.tables)) {
    tableNames.set(awsResourceName(app, target.stage, logical), local);
  }
  const renameArn = (arn: string): string =>
    arn
      .replace(/(:function:)([^:/]+)/, (whole, prefix: string, name: string) =>
        functionNames.has(name) ? `${prefix}${functionNames.get(name)}` : whole,
      )
      .replace(/(:table\/)([^/]+)/, (whole, prefix: string, name: string) =>
        tableNames.has(name) ? `${prefix}${tableNames.get(name)}` : whole,
      );
  const renameAll = (value: string | string[] | undefined) =>
    value === undefined ? undefined : Array.isArray(value) ? value.map(renameArn) : renameArn(value);
  const out: Record<string, RolePolicies> = {};
  for (const [physical, role] of Object.entries(synthesized)) {
    const local = functionNames.get(physical);
    if (local === undefined) continue;
    out[local] = {
      roleLogicalId: role.roleLogicalId,
      managedPolicyArns: role.managedPolicyArns,
      policies: role.policies.map((p) => ({
        name: p.name,
        statements: p.statements.map((s) => {
          const renamed: PolicyStatement = { ...s };
          if (s.Resource !== undefined) renamed.Resource = renameAll(s.Resource);
          if (s.NotResource !== undefined) renamed.NotResource = renameAll(s.NotResource);
          return renamed;
        }),
      })),
    };
  }
  return out;
}

/** The local deploy's tables, by the stack's logical table names. */
export function localTableNames(
  tables: { tokens: string; processed: string; routes?: string },
  scalingEvents: string,
) {
  return {
    tokens: tables.tokens,
    processed: tables.processed,
    ...(tables.routes !== undefined ? { routes: tables.routes } : {}),
    "scaling-events": scalingEvents,
  };
}
