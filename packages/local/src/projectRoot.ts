import { fileURLToPath } from "node:url";

/**
 * The repository's root (where `dispatcher.config.ts` and `packages/` are): handler paths of the
 * registry are relative to it, as SST's are.
 */
export function projectRoot(): string {
  return fileURLToPath(new URL("../../../", import.meta.url));
}
