import { execFile } from "node:child_process";
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
