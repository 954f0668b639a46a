import { runCli } from "@sqs-dispatcher/cli";

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `dispatcher` command in process against `endpoint`, with the CLI tests' registry. */
export async function cli(endpoint: string, ...argv: string[]): Promise<CliRun> {
  return cliOnTerminal(false, endpoint, ...argv);
}

/** As {@link cli}, with stderr claiming to be a terminal (or not), as progress output depends on it. */
export async function cliOnTerminal(isTTY: boolean, endpoint: string, ...argv: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(
    [...argv, "--endpoint", endpoint, "--config", "test/integration/cliRegistry.ts"],
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s), isTTY },
      env: {},
    },
  );
  return { code, stdout, stderr };
}

/** Polls `probe` until it returns true, failing after `timeoutMs`. */
export async function waitFor(
  probe: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
