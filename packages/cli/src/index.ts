export { CommandFailedError, UsageError } from "./cliErrors.js";
export { type CliIo, type CliOutput, ExitCode } from "./io.js";
export { runCli } from "./runCli.js";
