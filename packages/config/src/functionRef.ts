/**
 * A Lambda function as a route or the registry names it: a name (`billing-handler`), or an ARN
 * (`arn:aws:lambda:<region>:<account>:function:<name>`), either optionally qualified by a version or
 * an alias (`:live`, `:7`). Invokes pass the reference as Lambda's `FunctionName` unchanged, so the
 * qualifier travels with it.
 */
export interface FunctionRef {
  name: string;
  /** Set when the reference is an ARN. */
  arn?: { partition: string; region: string; accountId: string };
  /** A version number or alias; unset for `$LATEST`. */
  qualifier?: string;
}

const namePart = "[A-Za-z0-9_-]{1,64}";
const qualifierPart = "(?:\\$LATEST|[A-Za-z0-9_-]{1,128})";
const namePattern = new RegExp(`^(${namePart})(?::(${qualifierPart}))?$`);
const arnPattern = new RegExp(
  `^arn:(aws[a-z-]*):lambda:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\\d):(\\d{12}):function:(${namePart})(?::(${qualifierPart}))?$`,
);

/** What a function reference must look like, as messages say it. */
export const functionRefRule =
  "must be a Lambda function name (1-64 letters, digits, '-' or '_') or a function ARN 'arn:aws:lambda:<region>:<account>:function:<name>', optionally with ':<alias or version>'";

/** Parses a function name or ARN (optionally qualified); undefined for anything else. */
export function parseFunctionRef(text: string): FunctionRef | undefined {
  const arn = arnPattern.exec(text);
  if (arn) {
    const [, partition, region, accountId, name, qualifier] = arn;
    return {
      name: name!,
      arn: { partition: partition!, region: region!, accountId: accountId! },
      ...(qualifier && qualifier !== "$LATEST" ? { qualifier } : {}),
    };
  }
  if (text.startsWith("arn:")) return undefined;
  const plain = namePattern.exec(text);
  if (!plain) return undefined;
  const [, name, qualifier] = plain;
  return { name: name!, ...(qualifier && qualifier !== "$LATEST" ? { qualifier } : {}) };
}

/**
 * Why `arn` is not a Lambda function ARN, said so a user can fix it; undefined when it is one.
 *
 * @example
 * functionArnProblem("arn:aws:lambda:eu-west-1:12345:function:billing")
 * // "account '12345' must be 12 digits"
 */
export function functionArnProblem(arn: string): string | undefined {
  if (parseFunctionRef(arn)?.arn !== undefined) return undefined;
  const parts = arn.split(":");
  if (parts[0] !== "arn" || parts.length < 7) {
    return "must look like 'arn:aws:lambda:<region>:<account>:function:<name>[:<alias or version>]'";
  }
  const [, partition, service, region, account, kind, name, qualifier, ...rest] = parts;
  if (!/^aws[a-z-]*$/.test(partition ?? ""))
    return `partition '${partition}' must be 'aws' (or aws-cn, aws-us-gov)`;
  if (service !== "lambda") return `service '${service}' must be 'lambda'`;
  if (!/^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region ?? ""))
    return `region '${region}' is not an AWS region`;
  if (!/^\d{12}$/.test(account ?? "")) return `account '${account}' must be 12 digits`;
  if (kind !== "function") return `resource type '${kind}' must be 'function'`;
  if (!new RegExp(`^${namePart}$`).test(name ?? "")) {
    return `function name '${name}' must be 1-64 letters, digits, '-' or '_'`;
  }
  if (rest.length > 0 || !new RegExp(`^${qualifierPart}$`).test(qualifier ?? "")) {
    return `qualifier '${[qualifier, ...rest].join(":")}' must be an alias or a version number`;
  }
  return "is not a Lambda function ARN";
}

/** The reference without its qualifier (GetFunctionConcurrency and IAM's unqualified grant take this form). */
export function unqualifiedRef(text: string): string {
  const ref = parseFunctionRef(text);
  if (!ref?.qualifier) return text;
  return text.slice(0, text.length - ref.qualifier.length - 1);
}

/**
 * The rule every entry applies to a route's function (the registry, `routes set`, the deploys, the
 * poller): its timeout must fit the queue's visibility timeout, plus the batching window when the
 * route has one. The message names both numbers, in the registry schema's wording.
 */
export function visibilityFitProblem(input: {
  visibilityTimeoutSec: number;
  functionLabel: string;
  timeoutSec: number;
  batchWindowSec?: number;
}): { field: "visibility" | "batchWindow"; message: string } | undefined {
  const { visibilityTimeoutSec, functionLabel, timeoutSec } = input;
  const windowSec = input.batchWindowSec ?? 0;
  if (visibilityTimeoutSec < timeoutSec) {
    return {
      field: "visibility",
      message: `queue visibility timeout (${visibilityTimeoutSec}s) must be at least the timeout of function '${functionLabel}' (${timeoutSec}s), as Lambda requires`,
    };
  }
  if (windowSec > 0 && visibilityTimeoutSec < timeoutSec + windowSec) {
    return {
      field: "batchWindow",
      message: `a batching window of ${windowSec}s plus the timeout of function '${functionLabel}' (${timeoutSec}s) does not fit the queue's visibility timeout (${visibilityTimeoutSec}s): shorten the window or raise the queue's visibility timeout to at least ${timeoutSec + windowSec}`,
    };
  }
  return undefined;
}
