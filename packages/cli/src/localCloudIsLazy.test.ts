import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cliSrc = fileURLToPath(new URL(".", import.meta.url));

/** Every module specifier a file imports statically (`import ... from "x"`, `export ... from "x"`). */
function staticImports(text: string): string[] {
  return [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"/gms)].map((m) => m[1] ?? "");
}

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name));
}

describe("the dispatcher CLI and the local cloud", () => {
  it("never imports the local cloud statically: AWS commands do not load esbuild, dynalite or fauxqs", async () => {
    const offenders: string[] = [];
    for (const file of await sources(cliSrc)) {
      const imports = staticImports(await readFile(file, "utf8"));
      if (imports.some((s) => s.startsWith("@sqs-dispatcher/local"))) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });

  it("loads it only from dev and cloud, through one lazy import", async () => {
    const runCli = await readFile(join(cliSrc, "runCli.ts"), "utf8");
    expect([...runCli.matchAll(/await import\("@sqs-dispatcher\/local"\)/g)]).toHaveLength(1);
    expect([...runCli.matchAll(/await loadLocalCloud\(\)/g)]).toHaveLength(2);
  });

  it("reaches no package that imports the local cloud (config and core stay free of it)", async () => {
    const packagesDir = fileURLToPath(new URL("../../", import.meta.url));
    for (const pkg of ["config", "core"]) {
      for (const file of await sources(join(packagesDir, pkg, "src"))) {
        expect(staticImports(await readFile(file, "utf8")), file).not.toContain("@sqs-dispatcher/local");
      }
    }
  });
});
