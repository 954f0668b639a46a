/** A `FunctionName` path parameter taken apart. */
export interface ParsedFunctionName {
  name: string;
  region?: string;
  accountId?: string;
  qualifier?: string;
}

// Lambda accepts a name, a partial ARN (`ACCOUNT:function:NAME`) or a full ARN, each optionally
// with a `:QUALIFIER`.
const functionNamePattern =
  /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;

/** Parses the function name forms Lambda accepts; undefined for anything else. */
export function parseFunctionName(value: string): ParsedFunctionName | undefined {
  const match = functionNamePattern.exec(value);
  if (!match) return undefined;
  const [, region, accountId, name, qualifier] = match;
  if (!name) return undefined;
  return {
    name,
    ...(region ? { region } : {}),
    ...(accountId ? { accountId } : {}),
    ...(qualifier ? { qualifier } : {}),
  };
}
