import type { FunctionInfoCache } from "../functions/functionInfoCache.js";

/** The route's handler function, as status shows it. */
export interface HandlerFunctionStatus {
  /** The route's `functionName`: a name or ARN, qualified or not. */
  ref: string;
  /** Its ARN as Lambda reports it (qualified when the route is); null when it could not be read. */
  arn: string | null;
  /** True when the platform did not build it (a function outside the registry's handlers). */
  external: boolean;
  timeoutSec: number | null;
  /** Null: the account's unreserved pool (or unknown). */
  reservedConcurrency: number | null;
  /** Lambda's `State`; `missing` when the function does not exist, null when it could not be read. */
  state: string | null;
}

/** What status needs to describe a route's function: which functions the platform built, and Lambda's view of any. */
export interface FunctionStatusSource {
  /** Whether the platform built the function a route stores as `ref`. */
  isBuilt(ref: string): boolean;
  /** Lambda's view of a function (cached); without it status shows only what the route says. */
  info?: FunctionInfoCache;
}

/** Describes a route's function; a function that cannot be read is shown with what the route says of it. */
export async function describeFunction(
  source: FunctionStatusSource,
  ref: string,
): Promise<HandlerFunctionStatus> {
  const base: HandlerFunctionStatus = {
    ref,
    arn: ref.startsWith("arn:") ? ref : null,
    external: !source.isBuilt(ref),
    timeoutSec: null,
    reservedConcurrency: null,
    state: null,
  };
  if (!source.info) return base;
  try {
    const info = await source.info.get(ref);
    if (info === undefined) return { ...base, state: "missing" };
    return {
      ...base,
      arn: info.arn,
      timeoutSec: info.timeoutSec,
      reservedConcurrency: info.reservedConcurrency ?? null,
      state: info.state,
    };
  } catch {
    return base;
  }
}
