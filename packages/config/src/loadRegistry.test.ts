import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigValidationError } from "./errors.js";
import { loadRegistry, RegistryModuleError, RegistryModuleProblem } from "./loadRegistry.js";

const dir = mkdtempSync(path.join(tmpdir(), "load-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function moduleFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const registryObject = JSON.stringify({
  app: "demo",
  functions: { record: { handler: "packages/functions/src/handlers/record.handler", timeoutSec: 30 } },
  routes: [{ queue: { name: "orders" }, function: "record" }],
});

async function problemOf(file: string): Promise<RegistryModuleProblem | undefined> {
  try {
    await loadRegistry(file);
    return undefined;
  } catch (error) {
    if (error instanceof RegistryModuleError) return error.problem;
    throw error;
  }
}

describe("loadRegistry", () => {
  it("returns the module's default export, parsed with its defaults", async () => {
    const registry = await loadRegistry(moduleFile("plain.mjs", `export default ${registryObject};`));
    expect(registry.routes[0]).toMatchObject({ queue: { name: "orders" }, batchSize: 10, minLoops: 1 });
  });

  it("names a missing file, a module that fails to import and one with no default export apart", async () => {
    expect(await problemOf(path.join(dir, "absent.mjs"))).toBe(RegistryModuleProblem.Missing);
    expect(await problemOf(moduleFile("broken.mjs", "export default {"))).toBe(
      RegistryModuleProblem.Unloadable,
    );
    expect(await problemOf(moduleFile("named.mjs", `export const registry = ${registryObject};`))).toBe(
      RegistryModuleProblem.NoDefaultExport,
    );
  });

  it("refuses a default export that is not a valid registry with the schema's messages", async () => {
    const file = moduleFile("invalid.mjs", `export default { app: "demo", functions: {}, routes: [{}] };`);
    await expect(loadRegistry(file)).rejects.toBeInstanceOf(ConfigValidationError);
  });
});
