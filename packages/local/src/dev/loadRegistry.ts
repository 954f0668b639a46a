import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DispatcherError, type Registry } from "@sqs-dispatcher/config";

/** The registry module is missing or does not export a registry. */
export class RegistryModuleError extends DispatcherError {
  override readonly name = "RegistryModuleError";
}

/**
 * Imports the registry module (`dispatcher.config.ts`, whose default export is `defineDispatcher(...)`).
 * Importing it validates it: a broken registry fails here with the schema's messages.
 */
export async function loadRegistry(configPath: string): Promise<Registry> {
  const absolute = path.resolve(configPath);
  if (!existsSync(absolute)) {
    throw new RegistryModuleError(`no registry at ${absolute} (choose one with --config PATH)`, {
      configPath: absolute,
    });
  }
  const module = (await import(pathToFileURL(absolute).href)) as { default?: Registry };
  if (!module.default || typeof module.default !== "object" || !("routes" in module.default)) {
    throw new RegistryModuleError(`${absolute} must export default defineDispatcher({...})`, {
      configPath: absolute,
    });
  }
  return module.default;
}
