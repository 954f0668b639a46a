import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { LogFields, Logger } from "@sqs-dispatcher/core";

/** A Powertools Logger for one platform function (JSON lines; level from POWERTOOLS_LOG_LEVEL, default INFO). */
export function createPowertoolsLogger(serviceName: string): PowertoolsLogger {
  return new PowertoolsLogger({ serviceName });
}

/** Core's narrow Logger over Powertools: fields become top-level keys of the JSON line. */
export function asCoreLogger(logger: PowertoolsLogger): Logger {
  const fieldsOf = (fields?: LogFields) => (fields ?? {}) as Record<string, never>;
  return {
    debug: (message, fields) => logger.debug(message, fieldsOf(fields)),
    info: (message, fields) => logger.info(message, fieldsOf(fields)),
    warn: (message, fields) => logger.warn(message, fieldsOf(fields)),
    error: (message, fields) => logger.error(message, fieldsOf(fields)),
  };
}
