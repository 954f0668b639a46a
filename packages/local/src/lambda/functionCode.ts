import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { DispatcherError } from "@sqs-dispatcher/core";
import { unzipSync } from "fflate";
import type { FunctionBundle } from "./bundleFunction.js";

/** Lambda's deployment package limits for a direct upload (`CodeSizeZipped`, `CodeSizeUnzipped`). */
export const codeSizeLimits = {
  zippedBytes: 52_428_800,
  unzippedBytes: 262_144_000,
} as const;
/** Limits a deployment package is held to. */
export type CodeSizeLimits = { readonly [K in keyof typeof codeSizeLimits]: number };

/** Why a deployment package was refused, with the Lambda error type the API answers with. */
export class FunctionCodeError extends DispatcherError {
  override readonly name = "FunctionCodeError";
  constructor(
    message: string,
    readonly errorType: "CodeStorageExceededException" | "InvalidParameterValueException",
  ) {
    super(message, { errorType });
  }
}

/** The module extensions Lambda's Node.js runtime tries for a handler's file, in its order. */
const handlerExtensions = [".js", ".mjs", ".cjs"];

/**
 * Where a zip function's handler points: Lambda's `file.export` (the file relative to the code root,
 * its extension omitted). The runtime tries `.js`, `.mjs` then `.cjs`; when none exists the path of
 * the `.js` is kept, so the first invoke fails with `Runtime.ImportModuleError` as on AWS.
 */
export function locateZipHandler(
  codeRoot: string,
  handler: string,
): { modulePath: string; exportName: string } {
  const dot = handler.lastIndexOf(".");
  const file = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const base = join(codeRoot, file);
  const found = handlerExtensions.map((ext) => base + ext).find((path) => existsSync(path));
  return { modulePath: found ?? `${base}.js`, exportName };
}

/** The AWS SDK v3 packages a function finds without bundling them, as Lambda's Node.js runtime provides them. */
const runtimeSdkPackages = [
  "@aws-sdk/client-cloudwatch",
  "@aws-sdk/client-dynamodb",
  "@aws-sdk/client-lambda",
  "@aws-sdk/client-sns",
  "@aws-sdk/client-sqs",
  "@aws-sdk/client-ssm",
  "@aws-sdk/lib-dynamodb",
];

const requireHere = createRequire(import.meta.url);
const requireFromCore = createRequire(requireHere.resolve("@sqs-dispatcher/core"));

function sdkPackageDir(name: string): string | undefined {
  for (const req of [requireHere, requireFromCore]) {
    try {
      return dirname(req.resolve(`${name}/package.json`));
    } catch {
      // Not a dependency of this package: try the next one.
    }
  }
  return undefined;
}

/**
 * Links the project's AWS SDK v3 packages into `<root>/node_modules`, an ancestor of every function's
 * code folder: a handler's `import "@aws-sdk/client-sqs"` resolves there unless its zip brings its own
 * copy, which Node finds first, as on Lambda (where `/var/runtime/node_modules` comes last).
 */
export async function linkRuntimeSdk(root: string): Promise<void> {
  for (const name of runtimeSdkPackages) {
    const target = sdkPackageDir(name);
    if (target === undefined) continue;
    const link = join(root, "node_modules", ...name.split("/"));
    if (existsSync(link)) continue;
    await mkdir(dirname(link), { recursive: true });
    try {
      await symlink(target, link, "dir");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** A zip's entries, checked against Lambda's limits and for paths that would leave the code folder. */
function readZip(zip: Uint8Array, limits: CodeSizeLimits): Record<string, Uint8Array> {
  if (zip.byteLength > limits.zippedBytes) {
    throw new FunctionCodeError(
      `Code storage limit exceeded: the zipped deployment package is ${zip.byteLength} bytes, more than ${limits.zippedBytes}`,
      "CodeStorageExceededException",
    );
  }
  let unzippedBytes = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (file) => {
        unzippedBytes += file.originalSize;
        if (unzippedBytes > limits.unzippedBytes) {
          throw new FunctionCodeError(
            `Unzipped size must be smaller than ${limits.unzippedBytes} bytes`,
            "CodeStorageExceededException",
          );
        }
        return true;
      },
    });
  } catch (error) {
    if (error instanceof FunctionCodeError) throw error;
    throw new FunctionCodeError(
      `Could not unzip uploaded file. Please check your file, then try to upload again. (${(error as Error).message})`,
      "InvalidParameterValueException",
    );
  }
  for (const path of Object.keys(files)) {
    const clean = normalize(path);
    if (isAbsolute(path) || clean === ".." || clean.startsWith(`..${sep}`)) {
      throw new FunctionCodeError(
        `Could not unzip uploaded file: entry '${path}' lies outside the deployment package`,
        "InvalidParameterValueException",
      );
    }
  }
  return files;
}

/**
 * Unpacks a zip deployment package into a fresh folder under `functionsRoot/<name>/` and describes it
 * as the service runs it: the folder is the function's `LAMBDA_TASK_ROOT`, `CodeSha256` and
 * `CodeSize` are the zip's, as Lambda reports them. Each upload gets its own folder, so a warm
 * environment of the previous code never sees its files change under it.
 */
export async function unpackFunctionCode(options: {
  zip: Uint8Array;
  functionsRoot: string;
  functionName: string;
  handler: string;
  /** Default Lambda's {@link codeSizeLimits}. */
  limits?: CodeSizeLimits;
}): Promise<FunctionBundle> {
  const files = readZip(options.zip, options.limits ?? codeSizeLimits);
  const taskRoot = join(options.functionsRoot, options.functionName, randomUUID());
  await mkdir(taskRoot, { recursive: true });
  try {
    for (const [path, bytes] of Object.entries(files)) {
      const target = join(taskRoot, path);
      if (path.endsWith("/")) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes);
    }
  } catch (error) {
    await rm(taskRoot, { recursive: true, force: true });
    throw error;
  }
  return {
    ...locateZipHandler(taskRoot, options.handler),
    entryPath: join(taskRoot, options.handler.slice(0, options.handler.lastIndexOf("."))),
    taskRoot,
    codeSha256: createHash("sha256").update(options.zip).digest("base64"),
    codeSize: options.zip.byteLength,
  };
}

/** Describes code already unpacked in `taskRoot` (a function reloaded from the data folder). */
export function unpackedFunctionCode(
  taskRoot: string,
  handler: string,
  digest: { codeSha256: string; codeSize: number },
): FunctionBundle {
  return {
    ...locateZipHandler(taskRoot, handler),
    entryPath: join(taskRoot, handler.slice(0, handler.lastIndexOf("."))),
    taskRoot,
    ...digest,
  };
}
