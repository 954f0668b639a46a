import type { RolePolicies } from "@sqs-dispatcher/config";

/** Every local function's role (as the stack synthesizes it, under local names), by local function name. */
export type LocalRolePolicies = Readonly<Record<string, RolePolicies>>;

/** `Action`/`Resource` as a list. */
export function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
