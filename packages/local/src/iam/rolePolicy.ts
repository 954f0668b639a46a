/** An identity policy statement as IAM reads it (every value already text). */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The identity policies of one local function's execution role, from the stack the registry synthesizes. */
export interface RolePolicy {
  /** The role's name (its logical id in the template; CloudFormation names it on AWS). */
  readonly roleName: string;
  /** Inline policies by name, as the template attaches them. */
  readonly policies: readonly { readonly name: string; readonly statements: readonly PolicyStatement[] }[];
  /** Managed policies attached by ARN; not evaluated locally (their text is AWS's). */
  readonly managedPolicyArns: readonly string[];
}

/** Every local function's role, by local function name. */
export type LocalRolePolicies = Readonly<Record<string, RolePolicy>>;

/** `Action`/`Resource` as a list. */
export function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
