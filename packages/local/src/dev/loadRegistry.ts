import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Registry } from "@sqs-dispatcher/config";

/**
 * Imports the registry module (`dispatcher.config.ts`, whose default export is `defineDispatcher(...)`).
 * Importing it validates it: a broken registry fails here with the schema's messages.
 */
export async function loadRegistry(configPath: string): Promise<Registry> {
  const absolute = path.resolve(configPath);
  if (!existsSync(absolute)) throw new Error(`no registry at ${absolute}`);
  const module = (await import(pathToFileURL(absolute).href)) as { default?: Registry };
  if (!module.default || typeof module.default !== "object" || !("routes" in module.default)) {
    throw new Error(`${absolute} must export default defineDispatcher({...})`);
  }
  return module.default;
}
