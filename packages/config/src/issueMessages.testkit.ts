import { ConfigValidationError } from "./errors.js";

/**
 * For the config's unit tests: the `path: message` lines of the ConfigValidationError that `fn`
 * throws, as a user sees them. Fails when `fn` throws something else or nothing.
 */
export function messages(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error("expected a ConfigValidationError");
}
