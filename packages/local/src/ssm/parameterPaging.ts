import type { ParameterFilter, ParameterVersion } from "./parameterTypes.js";
import { SsmError, SsmErrorCode } from "./ssmErrors.js";

const filterFields = {
  Type: (v: ParameterVersion) => v.type,
  KeyId: (v: ParameterVersion) => v.keyId,
  Tier: (v: ParameterVersion) => v.tier,
  DataType: (v: ParameterVersion) => v.dataType,
} as const;

/** GetParametersByPath's filters as one test of a parameter's latest version. */
export function compileFilters(filters: readonly ParameterFilter[]): (version: ParameterVersion) => boolean {
  const tests = filters.map((filter) => {
    const field = filterFields[filter.key as keyof typeof filterFields];
    if (!field) {
      throw new SsmError(
        SsmErrorCode.InvalidFilterKey,
        `The local SSM service filters GetParametersByPath on ${Object.keys(filterFields).join(", ")} only, not ${filter.key}.`,
      );
    }
    if (filter.option !== undefined && filter.option !== "Equals") {
      throw new SsmError(
        SsmErrorCode.InvalidFilterOption,
        `The filter option ${filter.option} is not valid for key ${filter.key}.`,
      );
    }
    const values = new Set(filter.values ?? []);
    return (version: ParameterVersion) => {
      const actual = field(version);
      return actual !== undefined && values.has(actual);
    };
  });
  return (version) => tests.every((test) => test(version));
}

// A token names the page's query and the last name returned, so paging is stable while parameters change.
export function writeNextToken(path: string, recursive: boolean, after: string): string {
  return Buffer.from(JSON.stringify({ p: path, r: recursive, a: after })).toString("base64url");
}

/** The last name of the previous page, when the token belongs to this query. */
export function readNextToken(token: string, path: string, recursive: boolean): string {
  const invalid = () =>
    new SsmError(SsmErrorCode.InvalidNextToken, "The specified token is not valid.", { nextToken: token });
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const t = decoded as { p?: unknown; r?: unknown; a?: unknown } | null;
  if (!t || typeof t !== "object" || t.p !== path || t.r !== recursive || typeof t.a !== "string")
    throw invalid();
  return t.a;
}
