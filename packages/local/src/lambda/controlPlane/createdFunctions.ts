import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

const codeSchema = z.strictObject({
  /** The unpacked code's folder, relative to the control plane's root (so a moved data folder still works). */
  folder: z.string(),
  codeSha256: z.string(),
  codeSize: z.int(),
});

/** What a version (or `$LATEST`) runs: its code and the configuration that goes with it. */
const functionStateSchema = z.strictObject({
  handler: z.string(),
  runtime: z.string(),
  description: z.string(),
  timeoutSec: z.int(),
  memoryMb: z.int(),
  environment: z.record(z.string(), z.string()),
  code: codeSchema,
  revisionId: z.string(),
  lastModified: z.string(),
});
export type FunctionState = z.infer<typeof functionStateSchema>;

const aliasSchema = z.strictObject({
  functionVersion: z.string(),
  description: z.string(),
  revisionId: z.string(),
});
export type FunctionAlias = z.infer<typeof aliasSchema>;

const createdFunctionSchema = z.strictObject({
  name: z.string(),
  role: z.string(),
  latest: functionStateSchema,
  reservedConcurrency: z.int().min(0).optional(),
  /** Published versions by number (`"1"`, `"2"`, ...). */
  versions: z.record(z.string(), functionStateSchema),
  lastVersion: z.int().min(0),
  aliases: z.record(z.string(), aliasSchema),
  /** The resource-based policy's statements (AddPermission): stored and returned, not enforced locally. */
  policy: z.array(z.record(z.string(), z.unknown())),
});
/** A function created through the Lambda API (CreateFunction), as the control plane keeps it. */
export type CreatedFunction = z.infer<typeof createdFunctionSchema>;

const storeFileSchema = z.strictObject({ functions: z.array(createdFunctionSchema) });

/** The file that keeps created functions across restarts of a local cloud with a data folder. */
export interface CreatedFunctionFile {
  load(): Promise<CreatedFunction[]>;
  save(functions: Iterable<CreatedFunction>): Promise<void>;
}

/**
 * `functions.json` under the control plane's root: written whole (temp file, then rename) after each
 * change, so a crash leaves the previous state, never half of one.
 */
export function createdFunctionFile(root: string): CreatedFunctionFile {
  const path = join(root, "functions.json");
  let writing: Promise<void> = Promise.resolve();
  return {
    async load() {
      if (!existsSync(path)) return [];
      return storeFileSchema.parse(JSON.parse(await readFile(path, "utf8"))).functions;
    },
    save(functions) {
      const text = JSON.stringify({ functions: [...functions] }, null, 2);
      // Writes are chained, so an older state never lands after a newer one.
      writing = writing.then(async () => {
        await mkdir(root, { recursive: true });
        const temp = `${path}.${randomUUID()}.tmp`;
        await writeFile(temp, text);
        await rename(temp, path);
      });
      return writing;
    },
  };
}
