import { isAllowed, type RoleUsage } from "./localIam.js";
import type { AuthorizationCheck } from "./requestAuthorization.js";
import { type LocalRolePolicies, listOf } from "./rolePolicy.js";

/** One grant of a role: an action on a resource pattern, as one statement writes it. */
export interface Grant {
  readonly policy: string;
  readonly action: string;
  readonly resource: string;
}

/** A role's least-privilege evidence: what it was granted and used, and what it was granted and never used. */
export interface RolePermissionReport {
  readonly functionName: string;
  readonly roleName: string;
  readonly used: readonly (AuthorizationCheck & { count: number })[];
  readonly denied: readonly (AuthorizationCheck & { count: number })[];
  /** Grants no recorded request needed, as IAM Access Analyzer's policy generation would drop them. */
  readonly unused: readonly Grant[];
}

/**
 * Compares each role's Allow grants (action × resource of every statement) with the authorizations its
 * function's requests made: a grant is used when the evaluator allows some recorded request by that
 * grant alone. Functions that never ran are listed with every grant unused.
 */
export async function unusedPermissionReport(
  policies: LocalRolePolicies,
  usage: readonly RoleUsage[],
  accountId: string,
): Promise<RolePermissionReport[]> {
  const reports: RolePermissionReport[] = [];
  for (const [functionName, role] of Object.entries(policies)) {
    const used = usage.find((u) => u.functionName === functionName);
    const unused: Grant[] = [];
    for (const policy of role.policies) {
      for (const statement of policy.statements) {
        if (statement.Effect !== "Allow") continue;
        for (const action of listOf(statement.Action)) {
          for (const resource of listOf(statement.Resource)) {
            const grant = {
              roleLogicalId: role.roleLogicalId,
              policies: [
                {
                  name: policy.name,
                  statements: [{ Effect: "Allow" as const, Action: action, Resource: resource }],
                },
              ],
              managedPolicyArns: [],
            };
            let needed = false;
            for (const request of used?.allowed ?? []) {
              if (
                await isAllowed(
                  grant,
                  request,
                  `arn:aws:sts::${accountId}:assumed-role/${role.roleLogicalId}/${functionName}`,
                  accountId,
                )
              ) {
                needed = true;
                break;
              }
            }
            if (!needed) unused.push({ policy: policy.name, action, resource });
          }
        }
      }
    }
    reports.push({
      functionName,
      roleName: role.roleLogicalId,
      used: used?.allowed ?? [],
      denied: used?.denied ?? [],
      unused,
    });
  }
  return reports;
}

/** The report as text: per role, the unused grants (and denials), for `dispatcher dev`'s stop and the docs. */
export function formatPermissionReport(reports: readonly RolePermissionReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(
      `${r.functionName} (role ${r.roleName}): ${r.used.length} authorization(s) used, ${r.unused.length} grant(s) never used`,
    );
    for (const g of r.unused) lines.push(`  unused: ${g.action} on ${g.resource}`);
    for (const d of r.denied) lines.push(`  denied: ${d.action} on ${d.resource} (${d.count}×)`);
  }
  return `${lines.join("\n")}\n`;
}
