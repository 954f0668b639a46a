import { DispatcherError } from "@sqs-dispatcher/core";

/** A refusal of the command line itself (exit code 2); nothing was written. */
export class UsageError extends DispatcherError {
  override readonly name = "UsageError";
}

/** A command that ran but could not do its job (exit code 1): missing queue, missing route. */
export class CommandFailedError extends DispatcherError {
  override readonly name = "CommandFailedError";
}
