import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DispatcherError } from "./dispatcherError.js";
import { defineDispatcher } from "./parse.js";
import type { Registry, RegistryInput } from "./schema.js";

/** Why a registry module could not be loaded. */
export const RegistryModuleProblem = {
  /** No file at the path. */
  Missing: "missing",
  /** The import threw (a syntax error, a failing import, a registry its own `defineDispatcher` refused). */
  Unloadable: "unloadable",
  /** The module has no default export. */
  NoDefaultExport: "no-default-export",
} as const;
export type RegistryModuleProblem = (typeof RegistryModuleProblem)[keyof typeof RegistryModuleProblem];

/** The registry module is missing, fails to import or exports no registry. */
export class RegistryModuleError extends DispatcherError {
  override readonly name = "RegistryModuleError";

  constructor(
    message: string,
    readonly problem: RegistryModuleProblem,
    readonly file: string,
    options?: ErrorOptions,
  ) {
    super(message, { file, problem }, options);
  }
}

/**
 * Imports the registry module at `file` (`dispatcher.config.ts`, whose default export is
 * `defineDispatcher({...})`) and validates its default export with {@link defineDispatcher} (idempotent
 * for a `defineDispatcher()` result, and the check a plain object needs). The module is TypeScript: the
 * caller runs under tsx (the CLI, `pnpm dev`) or vitest.
 *
 * @throws RegistryModuleError naming the {@link RegistryModuleProblem}
 * @throws ConfigValidationError when the default export is not a valid registry
 */
export async function loadRegistry(file: string): Promise<Registry> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) {
    throw new RegistryModuleError(`no registry at ${absolute}`, RegistryModuleProblem.Missing, absolute);
  }
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
  } catch (error) {
    throw new RegistryModuleError(
      `cannot load the registry ${absolute}: ${(error as Error).message}`,
      RegistryModuleProblem.Unloadable,
      absolute,
      { cause: error },
    );
  }
  if (loaded.default === undefined) {
    throw new RegistryModuleError(
      `the registry ${absolute} has no default export (export default defineDispatcher({...}))`,
      RegistryModuleProblem.NoDefaultExport,
      absolute,
    );
  }
  return defineDispatcher(loaded.default as RegistryInput);
}
