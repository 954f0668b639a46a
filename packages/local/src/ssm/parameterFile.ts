import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ensurePrivateDir } from "../privateDir.js";
import type { ParameterPersistence } from "./parameterStore.js";
import type { StoredParameter } from "./parameterTypes.js";

interface ParameterFileContents {
  readonly format: 1;
  readonly parameters: readonly StoredParameter[];
}

/** Reads the parameters saved at `path`; none when the file does not exist yet. */
export async function loadParameterFile(path: string): Promise<StoredParameter[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const contents = JSON.parse(text) as Partial<ParameterFileContents>;
  if (contents.format !== 1 || !Array.isArray(contents.parameters)) {
    throw new Error(`${path} is not a local SSM parameter file (format 1)`);
  }
  return [...contents.parameters];
}

/**
 * Saves the whole store as JSON; written beside and renamed so a crash never leaves half a file.
 * SecureString values are in it as plain text, so the file is the user's alone (mode 0600, in a
 * 0700 folder when the folder is created here).
 */
export function parameterFilePersistence(path: string): ParameterPersistence {
  return {
    async save(parameters) {
      await ensurePrivateDir(dirname(path));
      const contents: ParameterFileContents = { format: 1, parameters };
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(contents), { mode: 0o600 });
      await rename(temporary, path);
    },
  };
}
