import { join } from "node:path";
import { setProject, useProject } from "sst/project.js";

/**
 * Points the SST project's output (an app's generated types and its function bundles) into
 * `folder`. SST deletes and rewrites them under `.sst/` as it builds an app, keyed by construct
 * path, so two syntheses of the same stacks at once in one checkout (parallel test files, the local
 * cloud's role-policy synthesis beside them) would delete each other's; each in its own folder
 * cannot. Call after `initProject`; the caller removes `folder` when done.
 */
export function useSstOutputFolder(folder: string): void {
  const project = useProject();
  const out = join(folder, "sst");
  setProject({ ...project, paths: { ...project.paths, out, artifacts: join(out, "artifacts") } });
}
