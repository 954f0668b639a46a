import type { PolicyStatement, RolePolicies } from "@sqs-dispatcher/config";

/** Where the template is resolved: the account and region its ARNs should name. */
export interface ResolveTarget {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** A literal account id the synthesizer wrote into ARNs (SST's test app writes one); replaced by `accountId`. */
  readonly synthesizedAccountId?: string;
  /** The stack's name, for `AWS::StackName` and `AWS::StackId` (default `stack`). */
  readonly stackName?: string;
}

/** A template construct the resolver cannot turn into text. */
export class UnresolvableIntrinsicError extends Error {
  override readonly name = "UnresolvableIntrinsicError";
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
}

/**
 * The execution-role policies of every named function in a synthesized CloudFormation template,
 * keyed by `FunctionName`, with `Ref`, `Fn::GetAtt`, `Fn::Join` and `Fn::Sub` resolved to the ARNs
 * the resources get in `target` (a table's ARN from its `TableName`, a queue's from its `QueueName`,
 * a function's from its `FunctionName`). Functions without a literal name (CDK's own singletons)
 * are left out: nothing can address them.
 *
 * @example
 * rolePoliciesOf(template, { partition: "aws", region: "us-east-1", accountId: "000000000000" })
 * // { "shop-local-poller": { roleLogicalId: "PollerServiceRole…", policies: [...], managedPolicyArns: [...] } }
 */
export function rolePoliciesOf(template: CfnTemplate, target: ResolveTarget): Record<string, RolePolicies> {
  const resources = template.Resources ?? {};
  const resolve = createResolver(resources, target);
  const out: Record<string, RolePolicies> = {};
  for (const [, fn] of Object.entries(resources)) {
    if (fn.Type !== "AWS::Lambda::Function") continue;
    const functionName = fn.Properties?.FunctionName;
    const role = fn.Properties?.Role as { "Fn::GetAtt"?: [string, string] } | undefined;
    const roleId = role?.["Fn::GetAtt"]?.[0];
    if (typeof functionName !== "string" || roleId === undefined) continue;
    const roleResource = resources[roleId];
    const policies: { name: string; statements: PolicyStatement[] }[] = [];
    for (const [policyId, policy] of Object.entries(resources)) {
      if (policy.Type !== "AWS::IAM::Policy") continue;
      const roles = (policy.Properties?.Roles ?? []) as { Ref?: string }[];
      if (!roles.some((r) => r.Ref === roleId)) continue;
      const document = policy.Properties?.PolicyDocument as { Statement: unknown[] };
      policies.push({
        name: policyId,
        statements: document.Statement.map((s) => resolve(s) as PolicyStatement),
      });
    }
    for (const inline of (roleResource?.Properties?.Policies ?? []) as {
      PolicyName: string;
      PolicyDocument: { Statement: unknown[] };
    }[]) {
      policies.push({
        name: `${roleId}/${inline.PolicyName}`,
        statements: inline.PolicyDocument.Statement.map((s) => resolve(s) as PolicyStatement),
      });
    }
    const managed = ((roleResource?.Properties?.ManagedPolicyArns ?? []) as unknown[]).map(
      (arn) => resolve(arn) as string,
    );
    out[functionName] = { roleLogicalId: roleId, policies, managedPolicyArns: managed };
  }
  return out;
}

function createResolver(resources: Record<string, CfnResource>, target: ResolveTarget) {
  const pseudo: Record<string, string> = {
    "AWS::Partition": target.partition,
    "AWS::Region": target.region,
    "AWS::AccountId": target.accountId,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": target.stackName ?? "stack",
    "AWS::StackId": `arn:${target.partition}:cloudformation:${target.region}:${target.accountId}:stack/${target.stackName ?? "stack"}/local`,
  };
  const literal = (text: string) =>
    target.synthesizedAccountId !== undefined && target.synthesizedAccountId !== target.accountId
      ? text.replaceAll(`:${target.synthesizedAccountId}:`, `:${target.accountId}:`)
      : text;
  const arnOf = (logicalId: string): string => {
    const resource = resources[logicalId];
    const p = resource?.Properties ?? {};
    const base = `arn:${target.partition}`;
    const named = (key: string) => {
      const value = p[key];
      if (typeof value !== "string") {
        throw new UnresolvableIntrinsicError(`${logicalId} (${resource?.Type}) has no literal ${key}`);
      }
      return value;
    };
    switch (resource?.Type) {
      case "AWS::DynamoDB::Table":
        return `${base}:dynamodb:${target.region}:${target.accountId}:table/${named("TableName")}`;
      case "AWS::SQS::Queue":
        return `${base}:sqs:${target.region}:${target.accountId}:${named("QueueName")}`;
      case "AWS::SNS::Topic":
        return `${base}:sns:${target.region}:${target.accountId}:${named("TopicName")}`;
      case "AWS::Lambda::Function":
        return `${base}:lambda:${target.region}:${target.accountId}:function:${named("FunctionName")}`;
      default:
        throw new UnresolvableIntrinsicError(
          `cannot name the ARN of ${logicalId} (${resource?.Type ?? "missing"})`,
        );
    }
  };
  const value = (node: unknown): unknown => {
    if (typeof node === "string") return literal(node);
    if (Array.isArray(node)) return node.map(value);
    if (node === null || typeof node !== "object") return node;
    const o = node as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = o[key];
      if (key === "Ref") {
        const name = arg as string;
        if (pseudo[name] !== undefined) return pseudo[name];
        // A Ref of a topic is its ARN; other Refs (a queue's URL, a table's name) never appear in a policy.
        if (resources[name]?.Type === "AWS::SNS::Topic") return arnOf(name);
        throw new UnresolvableIntrinsicError(`cannot resolve Ref ${name}`);
      }
      if (key === "Fn::GetAtt") {
        const [id, attribute] = arg as [string, string];
        if (attribute === "Arn") return arnOf(id);
        throw new UnresolvableIntrinsicError(`cannot resolve Fn::GetAtt ${id}.${attribute}`);
      }
      if (key === "Fn::Join") {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map((part) => String(value(part))).join(separator);
      }
      if (key === "Fn::Sub") {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        return literal(
          text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (vars[name] !== undefined) return String(value(vars[name]));
            if (pseudo[name] !== undefined) return pseudo[name];
            const [id, attribute] = name.split(".");
            if (attribute === "Arn" && id !== undefined) return arnOf(id);
            throw new UnresolvableIntrinsicError(`cannot resolve \${${name}} in Fn::Sub`);
          }),
        );
      }
      if (key.startsWith("Fn::")) throw new UnresolvableIntrinsicError(`cannot resolve ${key}`);
    }
    return Object.fromEntries(keys.map((k) => [k, value(o[k])]));
  };
  return value;
}
