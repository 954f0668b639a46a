import { DispatcherError } from "@sqs-dispatcher/core";

/** A console API request that cannot be served as asked; `status` is the HTTP answer. */
export class ConsoleRequestError extends DispatcherError {
  override readonly name = "ConsoleRequestError";
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, { status }, options);
  }
}
