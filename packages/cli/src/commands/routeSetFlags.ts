import { readFile } from "node:fs/promises";
import {
  FilterPatternError,
  filtersFromJson,
  formatNoMatchAction,
  NoMatchKind,
  parseNoMatchAction,
} from "@sqs-dispatcher/config";
import { createSqsQueueDirectory } from "@sqs-dispatcher/core/aws";
import { CommandFailedError, UsageError } from "../cliErrors.js";
import type { CliContext } from "../context.js";

/**
 * Reads `--filters FILE.json`: a list of patterns, or Lambda's `FilterCriteria` shape. The
 * patterns themselves are checked by the route schema, which names each refused operator.
 */
export async function readFiltersFile(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `--filters: cannot read '${file}': ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--filters: '${file}' is not JSON: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  try {
    return filtersFromJson(value);
  } catch (error) {
    if (error instanceof FilterPatternError)
      throw new UsageError(`--filters: ${error.message}`, { file }, { cause: error });
    throw error;
  }
}

/**
 * `--on-no-match` as the route store holds it: an invoked function must be a registry function
 * (stored by its deployed name, as `--function` is); a forward target must be an existing queue.
 */
export async function storedNoMatch(context: CliContext, text: string): Promise<string> {
  const action = parseNoMatchAction(text);
  if (action?.kind === NoMatchKind.Invoke) {
    const functions = Object.keys(context.registry.functions);
    if (!functions.includes(action.functionName)) {
      throw new UsageError(
        `--on-no-match: '${action.functionName}' is not a function of the registry (functions: ${functions.join(", ") || "none"})`,
      );
    }
    return formatNoMatchAction({ ...action, functionName: context.names.functionName(action.functionName) });
  }
  if (action?.kind === NoMatchKind.Forward) {
    const url = await createSqsQueueDirectory({ sqs: context.sqs }).queueUrl(action.queueName);
    if (url === undefined) {
      throw new CommandFailedError(
        `--on-no-match: queue '${action.queueName}' does not exist; create it first (messages that match no filter would have nowhere to go)`,
      );
    }
  }
  return text;
}
