/**
 * Base of every error the dispatcher raises; subclasses set `name` and carry context.
 *
 * It lives in `@sqs-dispatcher/config`, the package every other one depends on, so that config,
 * functions, local and cli errors share one base without config depending on core.
 *
 * @example
 * export class RouteMissingError extends DispatcherError {
 *   override readonly name = "RouteMissingError";
 *   constructor(readonly queueUrl: string, options?: ErrorOptions) {
 *     super(`no route for ${queueUrl}`, { queueUrl }, options);
 *   }
 * }
 */
export class DispatcherError extends Error {
  override readonly name: string = "DispatcherError";
  readonly context: Readonly<Record<string, unknown>>;

  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.context = context;
  }
}
