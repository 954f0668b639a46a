/** A stream the CLI writes to: `process.stdout` fits, and so does a string collector in tests. */
export interface CliOutput {
  write(chunk: string): unknown;
  /** True on a terminal: progress bars and colours only then. */
  isTTY?: boolean;
}

/** Where a CLI run reads its environment and writes its output. */
export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  /** Environment (DISPATCHER_STAGE, AWS_PROFILE, ...); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Folder `dispatcher.config.ts` is looked up in; default `process.cwd()`. */
  cwd?: string;
  /**
   * Asks the operator a question and returns the typed line (a terminal's stdin in `main.ts`).
   * Absent when nobody can answer: a command that needs a confirmation then asks for `--yes`.
   */
  prompt?: (question: string) => Promise<string>;
  /** Ends a long-running command (`console`) like Ctrl-C does; without it, SIGINT/SIGTERM end it. */
  signal?: AbortSignal;
}

/** The exit codes of the `dispatcher` command. */
export const ExitCode = {
  Ok: 0,
  /** A runtime failure: AWS refused, the queue does not exist, a stored route is corrupt. */
  Failure: 1,
  /** Bad usage: unknown flag, a value a schema refuses, a function the registry lacks. Nothing was written. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
