import { createHash, randomUUID } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DispatcherError } from "@sqs-dispatcher/core";
import { build, version as esbuildVersion } from "esbuild";

/** A handler module that esbuild could not resolve or compile. */
export class FunctionBuildError extends DispatcherError {
  override readonly name = "FunctionBuildError";
}

/** Where a handler string points: the module file and the export to call. */
export interface HandlerLocation {
  entryPath: string;
  exportName: string;
}

/** A function's deployment package: the bundled module and its digest. */
export interface FunctionBundle extends HandlerLocation {
  /** Absolute path of the bundled `.mjs`. */
  modulePath: string;
  /** Folder holding the bundle (the function's `LAMBDA_TASK_ROOT`). */
  taskRoot: string;
  /** Base64 SHA-256 of the bundled code, as GetFunction's `CodeSha256` reports it. */
  codeSha256: string;
  codeSize: number;
}

const moduleExtensions = [".ts", ".mts", ".js", ".mjs", ".cjs", ".tsx", ".jsx"];

/**
 * Splits `path/to/module.exportName` at its last dot and finds the module file, relative to `cwd`
 * unless absolute, trying the usual extensions when the path names none.
 */
export function resolveHandler(handler: string, cwd: string): HandlerLocation {
  const dot = handler.lastIndexOf(".");
  if (dot <= 0 || dot === handler.length - 1) {
    throw new FunctionBuildError(
      `handler ${JSON.stringify(handler)} must look like "path/to/module.exportName"`,
      {
        handler,
      },
    );
  }
  const modulePart = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const base = isAbsolute(modulePart) ? modulePart : resolve(cwd, modulePart);
  const candidates = [base, ...moduleExtensions.map((ext) => base + ext)];
  const entryPath = candidates.find((path) => existsSync(path) && statSync(path).isFile());
  if (!entryPath) {
    throw new FunctionBuildError(
      `handler module for ${JSON.stringify(handler)} not found (looked for ${base}.ts/.js)`,
      {
        handler,
      },
    );
  }
  return { entryPath, exportName };
}

// ESM bundles of CommonJS dependencies call `require` and read `__dirname`; each worker has its
// own global object, so defining them there is safe and cannot clash with a module's own bindings.
const cjsShimBanner = [
  `import { createRequire as __lambdaCreateRequire } from "node:module";`,
  `import { fileURLToPath as __lambdaFileURLToPath } from "node:url";`,
  `import { dirname as __lambdaDirname } from "node:path";`,
  `globalThis.require ??= __lambdaCreateRequire(import.meta.url);`,
  `globalThis.__filename ??= __lambdaFileURLToPath(import.meta.url);`,
  `globalThis.__dirname ??= __lambdaDirname(globalThis.__filename);`,
].join("\n");

/** Bump when the build options change, so cached bundles made with the old ones are not reused. */
const buildFormat = 1;

/** What a cached bundle was built from: every input file with its mtime and size at build time. */
interface BuildManifest {
  modulePath: string;
  inputs: Array<[path: string, mtimeMs: number, size: number]>;
}

/** The cached bundle of `manifestPath` when none of its inputs changed since it was built. */
async function reuseBundle(
  manifestPath: string,
): Promise<{ modulePath: string; code: Uint8Array } | undefined> {
  try {
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as BuildManifest;
    const current = await Promise.all(manifest.inputs.map(([path]) => stat(path)));
    const unchanged = manifest.inputs.every(([, mtimeMs, size], i) => {
      const s = current[i];
      return s !== undefined && s.mtimeMs === mtimeMs && s.size === size;
    });
    if (!unchanged) return undefined;
    return { modulePath: manifest.modulePath, code: await readFile(manifest.modulePath) };
  } catch {
    // No manifest yet, an input or the bundle is gone: build afresh.
    return undefined;
  }
}

/**
 * Records what a bundle was built from. Best effort: without a manifest the next register builds
 * again. An input edited while esbuild ran may not be in the bundle, so such a build is not cached.
 */
async function writeManifest(
  manifestPath: string,
  modulePath: string,
  cwd: string,
  inputNames: string[],
  buildStartedAt: number,
): Promise<void> {
  try {
    const inputs = await Promise.all(
      inputNames.map(async (input): Promise<BuildManifest["inputs"][number]> => {
        const path = resolve(cwd, input);
        const s = await stat(path);
        return [path, s.mtimeMs, s.size];
      }),
    );
    if (inputs.some(([, mtimeMs]) => mtimeMs >= buildStartedAt)) return;
    const manifest: BuildManifest = { modulePath, inputs };
    await mkdir(dirname(manifestPath), { recursive: true });
    const temp = `${manifestPath}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify(manifest));
    await rename(temp, manifestPath);
  } catch {
    // An input vanished meanwhile: leave no manifest.
  }
}

/**
 * Bundles `entryPath` (and everything it imports, workspace TypeScript and npm packages alike)
 * into one ESM file under `outRoot`, named by its content hash so identical code is written once
 * and a re-register with changed code never overwrites a module a warm environment is using.
 */
async function bundleModule(
  entryPath: string,
  outRoot: string,
  cwd: string,
): Promise<{ modulePath: string; code: Uint8Array }> {
  const slug = basename(entryPath)
    .replace(/\.[^.]+$/, "")
    .replace(/[^A-Za-z0-9_-]/g, "_");
  const stagingFile = join(outRoot, `${slug}-staging`, "index.mjs");
  // Bundling the SDK takes a second or two: a deploy that changed nothing reuses the last bundle.
  const cacheKey = createHash("sha256")
    .update(JSON.stringify({ buildFormat, esbuildVersion, entryPath, cwd }))
    .digest("hex")
    .slice(0, 16);
  const manifestPath = join(outRoot, "manifests", `${slug}-${cacheKey}.json`);
  const cached = await reuseBundle(manifestPath);
  if (cached) return cached;
  let result: Awaited<ReturnType<typeof build>>;
  const buildStartedAt = Date.now();
  try {
    result = await build({
      entryPoints: [entryPath],
      absWorkingDir: cwd,
      outfile: stagingFile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      mainFields: ["module", "main"],
      sourcemap: "linked",
      banner: { js: cjsShimBanner },
      write: false,
      metafile: true,
      logLevel: "silent",
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new FunctionBuildError(`bundling ${entryPath} failed: ${message}`, { entryPath }, { cause: error });
  }
  const outputs = result.outputFiles ?? [];
  const js = outputs.find((f) => f.path.endsWith(".mjs"));
  const map = outputs.find((f) => f.path.endsWith(".map"));
  if (!js) throw new FunctionBuildError(`bundling ${entryPath} produced no module`, { entryPath });
  const digest = createHash("sha256").update(js.contents).digest("hex").slice(0, 16);
  // Same depth as the staging folder, so the source map's relative source paths stay right.
  const dir = join(outRoot, `${slug}-${digest}`);
  const modulePath = join(dir, "index.mjs");
  if (!existsSync(modulePath)) {
    await mkdir(dir, { recursive: true });
    if (map) await writeFile(join(dir, "index.mjs.map"), map.contents);
    // Write then rename, so a concurrent reader never imports a half-written module.
    const temp = `${modulePath}.${randomUUID()}.tmp`;
    await writeFile(temp, js.contents);
    await rename(temp, modulePath);
  }
  await writeManifest(
    manifestPath,
    modulePath,
    cwd,
    Object.keys(result.metafile?.inputs ?? {}),
    buildStartedAt,
  );
  return { modulePath, code: js.contents };
}

/** Builds a function's deployment package from its handler string. */
export async function bundleFunction(
  handler: string,
  options: { cwd: string; buildDir: string },
): Promise<FunctionBundle> {
  const location = resolveHandler(handler, options.cwd);
  const { modulePath, code } = await bundleModule(
    location.entryPath,
    join(options.buildDir, "functions"),
    options.cwd,
  );
  return {
    ...location,
    modulePath,
    taskRoot: dirname(modulePath),
    codeSha256: createHash("sha256").update(code).digest("base64"),
    codeSize: code.byteLength,
  };
}

const bootstrapBuilds = new Map<string, Promise<string>>();

/**
 * Bundles the execution environments' bootstrap (TypeScript) once per build folder, so workers
 * start from plain JavaScript whether the host runs under tsx, vitest or a bundle.
 */
export function bundleBootstrap(buildDir: string, cwd: string): Promise<string> {
  let pending = bootstrapBuilds.get(buildDir);
  if (!pending) {
    const entry = fileURLToPath(new URL("./workerBootstrap.ts", import.meta.url));
    pending = bundleModule(entry, join(buildDir, "runtime"), cwd).then((built) => built.modulePath);
    pending.catch(() => bootstrapBuilds.delete(buildDir));
    bootstrapBuilds.set(buildDir, pending);
  }
  return pending;
}
