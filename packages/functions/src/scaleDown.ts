import { scaleDown } from "@sqs-dispatcher/core";
import { createPowertoolsLogger } from "./runtime/functionLogger.js";
import { createScaleHandler, scaleDepsFromEnv } from "./runtime/scaleHandler.js";

const logger = createPowertoolsLogger("scale-down");

/**
 * The deployed scale-down (`packages/functions/src/scaleDown.handler`), subscribed to the
 * scale-down topic: one token fewer per `ALARM → OK`, never below `max(1, minLoops)`.
 */
export const handler = createScaleHandler(scaleDown, () => scaleDepsFromEnv(logger), logger);
