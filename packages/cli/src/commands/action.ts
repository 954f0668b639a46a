import type { Command } from "commander";
import type { z } from "zod";
import type { CliContext } from "../context.js";
import type { GlobalFlags } from "../flags.js";
import type { CliIo } from "../io.js";

/** What a command's body receives: its validated flags, the lazily built context, and the output. */
export interface ActionInput<F> {
  flags: F;
  context: CliContext;
  io: CliIo;
}

/**
 * Wraps a command body: collects arguments and options (the program's global ones included),
 * validates them with the command's one schema, builds the context, and closes its clients after.
 */
export type RunAction = <S extends z.ZodType<GlobalFlags & Record<string, unknown>>>(
  schema: S,
  body: (input: ActionInput<z.infer<S>>) => Promise<void>,
) => (...args: unknown[]) => Promise<void>;

/** The positional arguments and options commander parsed for `command`, keyed by name. */
export function collectInput(command: Command, args: readonly unknown[]): Record<string, unknown> {
  const input: Record<string, unknown> = { ...command.optsWithGlobals() };
  command.registeredArguments.forEach((argument, i) => {
    if (args[i] !== undefined) input[argument.name()] = args[i];
  });
  return input;
}
