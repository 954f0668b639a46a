import { z } from "zod";
import { functionArnProblem, parseFunctionRef } from "./functionRef.js";

const prefixPattern = /^[A-Za-z0-9_-]{1,63}\*$/;

/**
 * A `routableFunctions` entry: a function name (this account and region), a function ARN (any
 * account; qualified or not, as written), or a name prefix ending in `*` (this account and region).
 */
export const routableFunctionSchema = z.string().superRefine((entry, ctx) => {
  if (prefixPattern.test(entry)) return;
  if (entry.startsWith("arn:")) {
    const problem = functionArnProblem(entry);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `function ARN ${problem}` });
    return;
  }
  const ref = parseFunctionRef(entry);
  if (ref === undefined || ref.qualifier !== undefined) {
    ctx.addIssue({
      code: "custom",
      message:
        "must be a function name, a function ARN (qualified or not), or a name prefix ending in '*' (letters, digits, '-' or '_')",
    });
  }
});

/** Where the poller runs: a name or prefix entry means a function of this account and region. */
export interface FunctionHome {
  region: string;
  accountId: string;
}

/**
 * Whether `routableFunctions` allows a route to `functionRef` (a name or ARN, qualified or not). A
 * name or prefix entry allows that function, any of its versions and aliases, in `home` (an ARN in
 * another account or region does not match it); an ARN entry allows exactly that ARN. With no
 * `home` (the local cloud has one account), names and ARNs are matched by function name.
 */
export function isRoutableFunction(
  routableFunctions: readonly string[],
  functionRef: string,
  home?: FunctionHome,
): boolean {
  const ref = parseFunctionRef(functionRef);
  if (ref === undefined) return false;
  const inHome =
    ref.arn === undefined ||
    home === undefined ||
    (ref.arn.region === home.region && ref.arn.accountId === home.accountId);
  return routableFunctions.some((entry) => {
    if (entry.endsWith("*")) return inHome && ref.name.startsWith(entry.slice(0, -1));
    if (entry.startsWith("arn:")) {
      if (entry === functionRef) return true;
      const allowed = parseFunctionRef(entry);
      // A named function of this account is the ARN entry's function when the entry is in this account.
      return (
        ref.arn === undefined &&
        home !== undefined &&
        allowed?.arn?.region === home.region &&
        allowed.arn.accountId === home.accountId &&
        allowed.name === ref.name &&
        allowed.qualifier === ref.qualifier
      );
    }
    return inHome && entry === ref.name;
  });
}
