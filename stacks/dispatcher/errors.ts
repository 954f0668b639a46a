import { DispatcherError } from "@sqs-dispatcher/config";

/** Thrown at synthesis when the registry cannot be deployed as declared. */
export class StackConfigurationError extends DispatcherError {
  override readonly name = "StackConfigurationError";
}
