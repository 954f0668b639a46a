import type { z } from "zod";
import { DispatcherError } from "./dispatcherError.js";

/** A registry, route or other input that breaks a rule; `issues` name each field and rule. */
export class ConfigValidationError extends DispatcherError {
  override readonly name = "ConfigValidationError";
  readonly issues: readonly { path: string; message: string }[];

  constructor(what: string, issues: readonly { path: string; message: string }[], options?: ErrorOptions) {
    super(
      `${what} is invalid:\n${issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}`).join("\n")}`,
      { what, issues },
      options,
    );
    this.issues = issues;
  }
}

/** Turns zod issues into `path: message` pairs a user can act on. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path
      .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
      .join(".")
      .replace(/\.\[/g, "["),
    message: issue.message,
  }));
}
