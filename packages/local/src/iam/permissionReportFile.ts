import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { LocalIam } from "./localIam.js";
import {
  formatPermissionReport,
  type RolePermissionReport,
  unusedPermissionReport,
} from "./unusedPermissions.js";

/**
 * Writes what each role used, was refused and never used (`iam-report.json` and `iam-report.txt` in
 * `dir`), as `dispatcher dev --enforce-iam` does when it stops; returns the reports.
 */
export async function writePermissionReport(
  iam: Pick<LocalIam, "rolePolicies" | "usage">,
  accountId: string,
  dir: string,
): Promise<{ reports: RolePermissionReport[]; textFile: string }> {
  const reports = await unusedPermissionReport(iam.rolePolicies(), iam.usage(), accountId);
  await mkdir(dir, { recursive: true });
  const textFile = path.join(dir, "iam-report.txt");
  await writeFile(path.join(dir, "iam-report.json"), `${JSON.stringify(reports, null, 2)}\n`);
  await writeFile(textFile, formatPermissionReport(reports));
  return { reports, textFile };
}
