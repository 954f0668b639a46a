/**
 * An IAM identity-policy statement with every value text: as the synthesized template's statements
 * read once their CloudFormation intrinsics are resolved, and as the local cloud evaluates them.
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The identity policies of one function's execution role, as the synthesized template attaches them. */
export interface RolePolicies {
  /** The role's logical id in the template (CloudFormation names the role on AWS; the local cloud uses this id). */
  readonly roleLogicalId: string;
  /** Inline policies (`AWS::IAM::Policy` resources and the role's own `Policies`), by name. */
  readonly policies: readonly { readonly name: string; readonly statements: readonly PolicyStatement[] }[];
  /** Managed policies attached by ARN (e.g. AWSLambdaBasicExecutionRole): their text is AWS's, not the template's. */
  readonly managedPolicyArns: readonly string[];
}
