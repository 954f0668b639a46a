import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { zipSync } from "fflate";

const run = promisify(execFile);

/** The AWS CLI's answer to one command: its parsed JSON output, or the error it printed. */
export type AwsCliResult = { ok: true; output: Record<string, unknown> } | { ok: false; stderr: string };

/** Runs the AWS CLI (1.45, on the machine image) against an endpoint, isolated from the developer's own AWS configuration. */
export interface AwsCli {
  /** Runs `aws <args>` and parses its JSON output; rejects when the command fails. */
  (...args: string[]): Promise<Record<string, unknown>>;
  /** Runs `aws <args>` and reports a failure instead of rejecting (for the errors a test expects). */
  attempt(...args: string[]): Promise<AwsCliResult>;
}

/**
 * An AWS CLI bound to `endpoint` with test credentials; `home` holds its (empty) configuration.
 *
 * @example
 * const aws = awsCli(cloud.endpoint, scratch);
 * await aws("lambda", "list-functions");
 */
export function awsCli(endpoint: string, home: string): AwsCli {
  const attempt = async (...args: string[]): Promise<AwsCliResult> => {
    try {
      const { stdout } = await run("aws", ["--endpoint-url", endpoint, "--output", "json", ...args], {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: home,
          AWS_ACCESS_KEY_ID: "test",
          AWS_SECRET_ACCESS_KEY: "test",
          AWS_DEFAULT_REGION: "us-east-1",
          AWS_CONFIG_FILE: join(home, "config"),
          AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
          AWS_PAGER: "",
        },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      return {
        ok: true,
        output: stdout.trim() === "" ? {} : (JSON.parse(stdout) as Record<string, unknown>),
      };
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      return { ok: false, stderr: e.stderr ?? e.message };
    }
  };
  const cli = (async (...args: string[]) => {
    const result = await attempt(...args);
    if (!result.ok) throw new Error(`aws ${args.join(" ")} failed: ${result.stderr}`);
    return result.output;
  }) as AwsCli;
  cli.attempt = attempt;
  return cli;
}

/** A zip deployment package of the given files (path → text). */
export function zipOf(files: Record<string, string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([path, text]) => [path, Buffer.from(text)])));
}

/** Writes a zip of `files` into `folder` and returns the AWS CLI's `fileb://` argument for it. */
export async function zipArgument(
  folder: string,
  name: string,
  files: Record<string, string>,
): Promise<string> {
  const path = join(folder, `${name}.zip`);
  await writeFile(path, zipOf(files));
  return `fileb://${path}`;
}

/** A Node.js 22 function `aws lambda create-function` makes from a zip of `files`. */
export interface ZipFunction {
  name: string;
  handler: string;
  files: Record<string, string>;
  role: string;
  /** Where the zip is written. */
  folder: string;
}

/** Creates `fn` with the AWS CLI; `extra` are further create-function arguments (`--timeout 7`, ...). */
export async function createZipFunction(
  aws: AwsCli,
  fn: ZipFunction,
  ...extra: string[]
): Promise<Record<string, unknown>> {
  return aws(
    "lambda",
    "create-function",
    "--function-name",
    fn.name,
    "--runtime",
    "nodejs22.x",
    "--role",
    fn.role,
    "--handler",
    fn.handler,
    "--zip-file",
    await zipArgument(fn.folder, `${fn.name}-${Date.now()}`, fn.files),
    ...extra,
  );
}
