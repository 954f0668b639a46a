import { chmodSync, mkdirSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";

/**
 * Creates a folder (and its missing parents) readable by the owner alone, then sets the mode again
 * in case it existed or the umask widened it: local data and logs hold message bodies and routes.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}

/** {@link ensurePrivateDir}, synchronously (for loggers opened at start-up). */
export function ensurePrivateDirSync(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}
