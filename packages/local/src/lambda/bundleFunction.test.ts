import { appendFile, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundleFunction, FunctionBuildError, resolveHandler } from "./bundleFunction.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lambda-bundle-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a module with an mtime in the past, as a file saved before the deploy would be. */
async function writeModule(name: string, source: string, ageMs = 60_000): Promise<void> {
  const path = join(dir, name);
  await writeFile(path, source);
  const past = new Date(Date.now() - ageMs);
  await utimes(path, past, past);
}

describe("resolveHandler", () => {
  it("splits at the last dot and finds the module with or without its extension", async () => {
    await writeModule("my.handlers.ts", "export const go = () => 1;");
    expect(resolveHandler("my.handlers.go", dir)).toEqual({
      entryPath: join(dir, "my.handlers.ts"),
      exportName: "go",
    });
    expect(resolveHandler(`${join(dir, "my.handlers.ts")}.go`, "/")).toEqual({
      entryPath: join(dir, "my.handlers.ts"),
      exportName: "go",
    });
  });

  it("names the handler when its module is missing", () => {
    expect(() => resolveHandler("nowhere/fn.handler", dir)).toThrow(FunctionBuildError);
    expect(() => resolveHandler("nowhere/fn.handler", dir)).toThrow(/nowhere\/fn\.handler/);
  });
});

describe("bundleFunction", () => {
  it("bundles TypeScript into an ESM module named by its content hash", async () => {
    await writeModule("fn.ts", "const n: number = 41;\nexport const handler = async () => n + 1;");
    const bundle = await bundleFunction("fn.handler", { cwd: dir, buildDir: join(dir, "build") });
    expect(bundle.modulePath).toMatch(/build\/functions\/fn-[0-9a-f]{16}\/index\.mjs$/);
    expect(bundle.exportName).toBe("handler");
    const mod = (await import(bundle.modulePath)) as { handler: () => Promise<number> };
    expect(await mod.handler()).toBe(42);
    expect(bundle.codeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it("reuses the last bundle while no input changed, and rebuilds when one did", async () => {
    await writeModule("dep.ts", "export const word = 'one';");
    await writeModule("fn.ts", "import { word } from './dep.js';\nexport const handler = () => word;");
    const options = { cwd: dir, buildDir: join(dir, "build") };
    const first = await bundleFunction("fn.handler", options);
    // Marks the bundle on disk: only a reused bundle carries the mark.
    await appendFile(first.modulePath, "\n// reused\n");
    const second = await bundleFunction("fn.handler", options);
    expect(second.modulePath).toBe(first.modulePath);
    expect(Buffer.from(await readFile(second.modulePath)).toString()).toContain("// reused");

    await writeModule("dep.ts", "export const word = 'two, changed';");
    const third = await bundleFunction("fn.handler", options);
    expect(third.modulePath).not.toBe(first.modulePath);
    expect(Buffer.from(await readFile(third.modulePath)).toString()).toContain("two, changed");
  });

  it("reports a compile error as FunctionBuildError", async () => {
    await writeModule("broken.ts", "export const handler = (;");
    await expect(
      bundleFunction("broken.handler", { cwd: dir, buildDir: join(dir, "build") }),
    ).rejects.toThrow(FunctionBuildError);
  });
});
