import { SsmError, SsmErrorCode } from "./ssmErrors.js";

/** AWS allows at most 15 levels in a parameter hierarchy. */
export const MAX_HIERARCHY_LEVELS = 15;
/** The longest name a user may create (AWS reserves the rest of the 2048 characters). */
export const MAX_NAME_LENGTH = 1011;

const nameCharacters = /^[a-zA-Z0-9_.\-/]+$/;
const reservedPrefix = /^\/?(aws|ssm)/i;

/** How many levels a name or path has: `/a/b/c` → 3, `name` → 1. */
export function hierarchyLevels(name: string): number {
  return name.split("/").filter((part) => part.length > 0).length;
}

/**
 * Checks a name for PutParameter as AWS does: allowed characters, length, hierarchy fully qualified
 * (`/a/b`, never `a/b`), no empty levels or trailing slash, at most 15 levels, no `aws`/`ssm` prefix.
 * @throws SsmError ValidationException or HierarchyLevelLimitExceededException
 */
export function validateNewParameterName(name: string): void {
  const invalid = (why: string) =>
    new SsmError(
      SsmErrorCode.ValidationException,
      `Parameter name ${JSON.stringify(name)} is invalid: ${why}`,
      {
        name,
      },
    );
  if (name.length === 0) throw invalid("it is empty");
  if (name.length > MAX_NAME_LENGTH) throw invalid(`it is longer than ${MAX_NAME_LENGTH} characters`);
  if (!nameCharacters.test(name)) {
    throw invalid("it may only contain the characters a-z, A-Z, 0-9, _, ., - and /");
  }
  if (reservedPrefix.test(name)) throw invalid(`it can't be prefixed with "aws" or "ssm" (case-insensitive)`);
  if (name.includes("/")) {
    if (!name.startsWith("/")) {
      throw invalid("a hierarchical name must be fully qualified with a leading slash, e.g. /path/to/name");
    }
    if (name.endsWith("/") || name.includes("//")) throw invalid("a hierarchy level is empty");
  }
  if (hierarchyLevels(name) > MAX_HIERARCHY_LEVELS) {
    throw new SsmError(
      SsmErrorCode.HierarchyLevelLimitExceededException,
      `Parameter name ${JSON.stringify(name)} has more than ${MAX_HIERARCHY_LEVELS} hierarchy levels`,
      { name },
    );
  }
}

/**
 * Normalizes a GetParametersByPath path (`/a/b/` → `/a/b`, `/` stays `/`).
 * @throws SsmError ValidationException when the path is not fully qualified or too deep
 */
export function normalizePath(path: string): string {
  const invalid = (why: string) =>
    new SsmError(SsmErrorCode.ValidationException, `Path ${JSON.stringify(path)} is invalid: ${why}`, {
      path,
    });
  if (!path.startsWith("/")) throw invalid("it must begin with a slash, e.g. /path/to");
  if (!nameCharacters.test(path)) {
    throw invalid("it may only contain the characters a-z, A-Z, 0-9, _, ., - and /");
  }
  if (path.includes("//")) throw invalid("a hierarchy level is empty");
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  if (hierarchyLevels(trimmed) > MAX_HIERARCHY_LEVELS) {
    throw new SsmError(
      SsmErrorCode.HierarchyLevelLimitExceededException,
      `Path ${JSON.stringify(path)} has more than ${MAX_HIERARCHY_LEVELS} hierarchy levels`,
      { path },
    );
  }
  return trimmed;
}

/**
 * Whether `name` lies under `path`: any depth when `recursive`, otherwise a direct child only.
 * Names without a hierarchy (`name`) live directly under the root `/`, as on AWS.
 */
export function isUnderPath(name: string, path: string, recursive: boolean): boolean {
  if (path === "/") {
    if (!name.startsWith("/")) return true;
    return recursive || !name.slice(1).includes("/");
  }
  const prefix = `${path}/`;
  if (!name.startsWith(prefix)) return false;
  return recursive || !name.slice(prefix.length).includes("/");
}

/** What GetParameter's `Name` asks for: a name (or the name inside an ARN) and an optional `:version` / `:label`. */
export interface ParameterReference {
  readonly name: string;
  /** Candidate stored names: an ARN's `parameter/a/b` may name `/a/b` or `a/b`-less `a`. */
  readonly candidates: readonly string[];
  readonly selector?: string;
}

const arnPattern = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter(\/.*)$/;

/** Parses `name`, `name:3`, `name:label` or `arn:aws:ssm:region:account:parameter/name[:selector]`. */
export function parseParameterReference(reference: string): ParameterReference {
  let rest = reference;
  let fromArn = false;
  const arn = arnPattern.exec(reference);
  if (arn?.[1]) {
    rest = arn[1];
    fromArn = true;
  }
  const colon = rest.lastIndexOf(":");
  const selector = colon >= 0 ? rest.slice(colon + 1) : undefined;
  const name = colon >= 0 ? rest.slice(0, colon) : rest;
  // An ARN always has "parameter/"; the stored name is "/a/b" for hierarchies and "a" for a flat name.
  const candidates = fromArn ? [name, name.slice(1)] : [name];
  return selector === undefined ? { name, candidates } : { name, candidates, selector };
}

/** The ARN AWS gives a parameter: `parameter/a/b` for `/a/b`, `parameter/a` for `a`. */
export function parameterArn(name: string, region: string, accountId: string): string {
  const path = name.startsWith("/") ? name : `/${name}`;
  return `arn:aws:ssm:${region}:${accountId}:parameter${path}`;
}
