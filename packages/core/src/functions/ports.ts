/** Lambda's `State` of a function (`GetFunctionConfiguration`). */
export const FunctionState = {
  Active: "Active",
  Pending: "Pending",
  Inactive: "Inactive",
  Failed: "Failed",
} as const;
export type FunctionState = (typeof FunctionState)[keyof typeof FunctionState];

/**
 * What the platform knows of a route's handler function, as Lambda reports it: what the timeout and
 * reserved-concurrency rules need of a function the platform did not build.
 */
export interface FunctionInfo {
  /** The function's ARN, qualified when the route names a version or alias. */
  arn: string;
  timeoutSec: number;
  /** Unset: the function draws on the account's unreserved concurrency. */
  reservedConcurrency?: number;
  state: string;
  /** True when the platform did not build the function (it lives outside the registry's handlers). */
  external: boolean;
}

/** What Lambda reports of a function; whether the platform built it is the caller's knowledge. */
export type FunctionDetails = Omit<FunctionInfo, "external">;

/** Reads a function's configuration from Lambda. */
export interface FunctionInfoReader {
  /**
   * The function `functionRef` names (a name or ARN, qualified or not); undefined when it does not
   * exist. Rejects with {@link FunctionInfoUnavailableError} when it cannot be read (access denied).
   */
  read(functionRef: string): Promise<FunctionDetails | undefined>;
}
