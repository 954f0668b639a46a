import { runCli } from "@sqs-dispatcher/cli";
import { waitFor as waitUntil } from "./waitFor.js";

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `dispatcher` command in process against a local cloud's endpoint with a registry module. */
export async function runDispatcher(
  target: { endpoint: string; config: string; isTTY?: boolean },
  argv: readonly string[],
): Promise<CliRun> {
  const out = { stdout: "", stderr: "" };
  const code = await runCli([...argv, "--endpoint", target.endpoint, "--config", target.config], {
    stdout: {
      write: (s: string) => {
        out.stdout += s;
      },
    },
    stderr: {
      write: (s: string) => {
        out.stderr += s;
      },
      isTTY: target.isTTY ?? false,
    },
    env: {},
  });
  return { code, ...out };
}

const config = "test/integration/support/cliRegistry.ts";

/** Runs the `dispatcher` command in process against `endpoint`, with the CLI tests' registry. */
export async function cli(endpoint: string, ...argv: string[]): Promise<CliRun> {
  return runDispatcher({ endpoint, config }, argv);
}

/** As {@link cli}, with stderr claiming to be a terminal (or not), as progress output depends on it. */
export async function cliOnTerminal(isTTY: boolean, endpoint: string, ...argv: string[]): Promise<CliRun> {
  return runDispatcher({ endpoint, config, isTTY }, argv);
}

/** Polls `probe` until it returns true, failing after `timeoutMs`: support/waitFor.ts with positional options. */
export async function waitFor(
  probe: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  await waitUntil(probe, { timeoutMs, intervalMs: 100, description: what });
}
