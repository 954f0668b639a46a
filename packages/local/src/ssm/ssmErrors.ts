import { DispatcherError } from "@sqs-dispatcher/core";

/** The AWS error names the local SSM service answers with (the SDK raises errors with these names). */
export const SsmErrorCode = {
  ParameterNotFound: "ParameterNotFound",
  ParameterAlreadyExists: "ParameterAlreadyExists",
  ParameterVersionNotFound: "ParameterVersionNotFound",
  ParameterPatternMismatchException: "ParameterPatternMismatchException",
  InvalidNextToken: "InvalidNextToken",
  InvalidFilterKey: "InvalidFilterKey",
  InvalidFilterOption: "InvalidFilterOption",
  HierarchyLevelLimitExceededException: "HierarchyLevelLimitExceededException",
  UnsupportedParameterType: "UnsupportedParameterType",
  InvalidDataTypeException: "InvalidDataTypeException",
  ValidationException: "ValidationException",
  SerializationException: "SerializationException",
  UnknownOperationException: "UnknownOperationException",
} as const;
export type SsmErrorCode = (typeof SsmErrorCode)[keyof typeof SsmErrorCode];

/** A request the local Parameter Store refuses, with the AWS error name to answer. */
export class SsmError extends DispatcherError {
  override readonly name = "SsmError";
  constructor(
    readonly code: SsmErrorCode,
    message: string,
    context: Record<string, unknown> = {},
  ) {
    super(message, context);
  }
}

/** AWS's wording for a missing required member, so messages read like the real service's. */
export function missingMember(member: string): SsmError {
  return new SsmError(
    SsmErrorCode.ValidationException,
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    { member },
  );
}
