import { DispatcherError } from "@sqs-dispatcher/core";

/** Lambda's control-plane error types beyond those the invoke path answers with. */
export const ControlPlaneErrorType = {
  ResourceConflict: "ResourceConflictException",
  ResourceNotFound: "ResourceNotFoundException",
  InvalidParameterValue: "InvalidParameterValueException",
  CodeStorageExceeded: "CodeStorageExceededException",
  PreconditionFailed: "PreconditionFailedException",
  RequestTooLarge: "RequestEntityTooLargeException",
} as const;
export type ControlPlaneErrorType = (typeof ControlPlaneErrorType)[keyof typeof ControlPlaneErrorType];

const statusOf: Record<ControlPlaneErrorType, number> = {
  ResourceConflictException: 409,
  ResourceNotFoundException: 404,
  InvalidParameterValueException: 400,
  CodeStorageExceededException: 400,
  PreconditionFailedException: 412,
  RequestEntityTooLargeException: 413,
};

/** A control-plane request Lambda would refuse: the HTTP status and error type it answers with. */
export class LambdaApiError extends DispatcherError {
  override readonly name = "LambdaApiError";
  readonly status: number;
  constructor(
    readonly errorType: ControlPlaneErrorType,
    message: string,
  ) {
    super(message, { errorType });
    this.status = statusOf[errorType];
  }
}
