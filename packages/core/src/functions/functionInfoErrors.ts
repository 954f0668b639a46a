import { DispatcherError } from "../errors.js";

/** A function's configuration could not be read (access denied, throttled, network): nothing is known of it. */
export class FunctionInfoUnavailableError extends DispatcherError {
  override readonly name = "FunctionInfoUnavailableError";
  constructor(
    readonly functionRef: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`cannot read function ${functionRef}: ${message}`, { functionRef }, options);
  }
}
