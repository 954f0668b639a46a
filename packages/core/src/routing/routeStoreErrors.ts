import { listOffenders, type Route } from "@sqs-dispatcher/config";
import { DispatcherError } from "../errors.js";

/** One stored route that does not parse: its storage key (SSM parameter name or table key) and why. */
export interface InvalidStoredRoute {
  /** The SSM parameter name, or `<table>/<queueName>` for the DynamoDB store. */
  key: string;
  message: string;
}

/**
 * A route store holds a route that no longer parses (edited by hand, written by an older version).
 *
 * `get` raises it for the one route; `list` reads every route first and raises it once with every
 * corrupt entry in `invalid` (its message names the first few and counts the rest) and the routes
 * that did parse in `valid`. `list` does not silently skip them: restart
 * reconciles tokens against `list()`, and a skipped route would look removed, so its loops would be
 * deleted although only its stored text is broken. Callers that can show partial results (the CLI,
 * status) catch this error and use `valid`; `routes set` or `routes rm` repairs the entry.
 */
export class InvalidStoredRouteError extends DispatcherError {
  override readonly name = "InvalidStoredRouteError";

  constructor(
    readonly invalid: readonly InvalidStoredRoute[],
    readonly valid: readonly Route[] = [],
    options?: ErrorOptions,
  ) {
    super(
      `stored route${invalid.length === 1 ? "" : "s"} ${listOffenders(invalid.map((i) => `'${i.key}'`))} ${invalid.length === 1 ? "does" : "do"} not parse: ${listOffenders(
        invalid.map((i) => `${i.key}: ${i.message}`),
        "; ",
      )}`,
      { keys: invalid.map((i) => i.key) },
      options,
    );
  }
}
