/** Structured fields carried by a log line (`queueUrl`, `token`, `loopId`, `requestId`, ...). */
export type LogFields = Record<string, unknown>;

/** The narrow logging interface core needs; Powertools Logger and the local JSON logger both fit. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops everything (for tests that do not look at logs). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
